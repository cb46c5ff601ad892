// The sandbox's WebSocket: every live event of the sandbox, as JSON. The socket reconnects by
// itself (after a server restart, a network blip, a laptop waking up) with a growing back-off,
// and every time the server says "hello" the page resynchronises from the REST API, so nothing
// that happened while it was away is missing from the diagram.

const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 5000];

export class LiveSocket {
  /**
   * @param {string} path       "/ws/sandboxes/<id>/"
   * @param {object} handlers   onEvent(event), onHello(count), onStatus("connecting"|"live"|"offline")
   */
  constructor(path, { onEvent, onHello, onStatus }) {
    this.path = path;
    this.onEvent = onEvent;
    this.onHello = onHello;
    this.onStatus = onStatus || (() => {});
    this.socket = null;
    this.attempt = 0;
    this.hellos = 0;
    this.timer = null;
    this.held = false; // tests hold the socket closed to make the page miss events
    window.addEventListener("online", () => this.reconnectNow());
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) this.reconnectNow();
    });
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}${this.path}`;
  }

  connect() {
    if (this.held || (this.socket && this.socket.readyState <= WebSocket.OPEN)) return;
    clearTimeout(this.timer);
    this.onStatus("connecting");
    const socket = new WebSocket(this.url());
    this.socket = socket;
    socket.addEventListener("message", (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      if (event.type === "hello") {
        this.attempt = 0;
        this.hellos += 1;
        this.onStatus("live");
        this.onHello(this.hellos);
      } else {
        this.onEvent(event);
      }
      // Other parts of the page (the lab panel) listen here rather than opening sockets of their own.
      window.dispatchEvent(new CustomEvent("playground:live", { detail: event }));
    });
    socket.addEventListener("close", (closed) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.onStatus("offline");
      // 4403: not this user's sandbox (or signed out): retrying cannot help until a reload.
      if (closed.code === 4403) return;
      this.schedule();
    });
  }

  schedule() {
    if (this.held) return;
    const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt += 1;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  reconnectNow() {
    if (!this.socket) {
      this.attempt = 0;
      this.connect();
    }
  }

  /** Close the socket and stay away until release(): lets a test make the page miss events. */
  hold() {
    this.held = true;
    clearTimeout(this.timer);
    if (this.socket) this.socket.close();
  }

  release() {
    this.held = false;
    this.reconnectNow();
  }

  get live() {
    return Boolean(this.socket && this.socket.readyState === WebSocket.OPEN);
  }
}
