// EC2 on the sandbox page (the contract: docs/services-gui.md): VPCs, their subnets and the
// instances in them, joined by "contains" edges so that the layout groups each subnet's instances
// under it; instance nodes coloured by state (pulsing while it changes) with their security groups;
// the palette's Instance form (RunInstances); the instance inspector with its state, type,
// addresses, security group rules and Stop / Start / Reboot / Terminate; its Traffic form (a flow
// from the internet or another instance, drawn green when accepted and red when rejected, and
// captured by flow logs), its Traffic profile form (that flow sent every minute on the sandbox
// clock, until cleared) and its CPU load form (the AWS/EC2 CPUUtilization it produces: idle,
// steady, spiky or a daily schedule).

import { request } from "../../js/api.js";
import { dangerZone, field, h, header, identity, resultLine, run, section, showResult } from "../../js/kit.js";

const icon = (name) => new URL(`icons/${name}.svg`, import.meta.url).href;
const urls = { resource: "", traffic: "", load: "", profile: "" };

// The AMI catalogue's images (services/ec2/images.py) the palette offers.
const IMAGES = [
  ["ami-0c02fb55956c7d316", "Amazon Linux 2023 (x86_64)"],
  ["ami-0e2c8caa4b6378d8c", "Ubuntu 24.04 (x86_64)"],
  ["ami-09ec59ede75ed2db7", "Windows Server 2022"],
];
const TYPES = ["t2.micro", "t3.micro", "t3.small", "t3.medium", "m5.large"];
const CHANGING = new Set(["pending", "stopping", "shutting-down"]);

export function setup(ctx) {
  urls.resource = ctx.service.config.resource;
  urls.traffic = ctx.service.config.traffic;
  urls.load = ctx.service.config.load;
  urls.profile = ctx.service.config.profile;
}

const stateOf = (node, raw) => raw?.attributes?.State || raw?.state || node.attributes?.State || node.state || "pending";
const instanceId = (node) => node.name || node.id.split("/").pop();

export const kinds = {
  vpc: {
    title: "VPC",
    icon: () => icon("vpc"),
    subtitle: (node) => `${node.is_default ? "Default VPC" : "VPC"} · ${node.cidr || ""}`,
    column: () => 0,
    ports: { in: false, out: true },
    normalize: (node, raw, previous) => ({
      cidr: raw.cidr || raw.attributes?.CidrBlock || previous?.cidr || "",
      is_default: raw.is_default ?? raw.attributes?.IsDefault ?? previous?.is_default ?? false,
    }),
  },
  subnet: {
    title: "Subnet",
    icon: () => icon("subnet"),
    subtitle: (node) => `Subnet · ${node.cidr || ""} · ${node.availability_zone || ""}`,
    column: () => 1,
    ports: { in: true, out: true },
    normalize: (node, raw, previous) => ({
      cidr: raw.cidr || previous?.cidr || "",
      availability_zone: raw.availability_zone || previous?.availability_zone || "",
    }),
  },
  instance: {
    title: "EC2 instance",
    icon: () => icon("instance"),
    subtitle: (node) => `${node.instance_type || "instance"} · ${(node.group_names || []).join(", ") || "no groups"}`,
    badges: (node) => [{ key: "state", label: "", value: node.state, tone: `ec2-${node.state}` }],
    column: () => 2,
    ports: { in: true, out: true },
    normalize(node, raw, previous) {
      const groups = raw.security_groups || previous?.security_groups || [];
      return {
        state: stateOf(node, raw),
        instance_type: raw.instance_type || raw.attributes?.InstanceType || previous?.instance_type || "",
        private_ip: raw.private_ip || raw.attributes?.PrivateIpAddress || previous?.private_ip || "",
        public_ip: raw.public_ip ?? raw.attributes?.PublicIpAddress ?? previous?.public_ip ?? "",
        security_groups: groups,
        group_names: groups.map((group) => group.GroupName),
      };
    },
    remove: {
      title: (node) => `Terminate ${node.label}?`,
      text: "TerminateInstances: it shuts down and is gone for good (an hour later it leaves the list).",
      action: "Terminate",
      done: (node) => `Terminating ${node.label}`,
      run: (ctx, node) => ctx.api.aws("ec2", "TerminateInstances", { InstanceIds: [instanceId(node)] }, node),
    },
  },
};

// Security groups are shown on their instances (subtitle and inspector), not drawn apart.
export const hidden = ["security-group"];

export const palette = [
  {
    id: "instance",
    label: "Instance",
    icon: icon("instance"),
    title: "Launch an EC2 instance",
    fields: () => [
      field("Name", h("input", { name: "name", autocomplete: "off", placeholder: "web-1" }), "The Name tag"),
      field("Image", h("select", { name: "image" }, IMAGES.map(([id, label]) => h("option", { value: id }, label)))),
      field("Type", h("select", { name: "type" }, TYPES.map((type) => h("option", { value: type }, type)))),
      field("Count", h("input", { name: "count", type: "number", min: "1", max: "10", value: "1" })),
    ],
    async create({ api }, form) {
      const params = {
        ImageId: form.get("image"),
        InstanceType: form.get("type"),
        MinCount: Number(form.get("count") || 1),
        MaxCount: Number(form.get("count") || 1),
      };
      const name = String(form.get("name") || "").trim();
      if (name) params.TagSpecifications = [{ ResourceType: "instance", Tags: [{ Key: "Name", Value: name }] }];
      const answer = await api.aws("ec2", "RunInstances", params);
      const first = answer.Instances?.[0];
      return { name: first?.InstanceId || name };
    },
  },
];

function rulesText(permissions) {
  return (permissions || []).flatMap((permission) => {
    const protocol = permission.IpProtocol === "-1" ? "all" : permission.IpProtocol;
    const ports = permission.FromPort === undefined ? "" : permission.FromPort === permission.ToPort ? ` ${permission.FromPort}` : ` ${permission.FromPort}-${permission.ToPort}`;
    const peers = [
      ...(permission.IpRanges || []).map((range) => range.CidrIp),
      ...(permission.Ipv6Ranges || []).map((range) => range.CidrIpv6),
      ...(permission.UserIdGroupPairs || []).map((pair) => pair.GroupId),
    ];
    return peers.map((peer) => `${protocol}${ports} ${peer}`);
  });
}

function instancePanel(ctx, initial) {
  let node = initial;
  const call = (operation) => ctx.api.aws("ec2", operation, { InstanceIds: [instanceId(node)] }, node);
  const state = h("p", { class: "ec2-state", dataset: { state: "" } });
  const facts = h("dl", { class: "insp-ids ec2-facts" });
  const groups = h("ul", { class: "ec2-groups" });
  const line = resultLine("instance");
  const buttons = {
    start: h("button", { type: "button", dataset: { action: "start" } }, "Start"),
    stop: h("button", { type: "button", dataset: { action: "stop" } }, "Stop"),
    reboot: h("button", { type: "button", dataset: { action: "reboot" } }, "Reboot"),
  };
  const terminate = h("button", { type: "button", class: "danger", dataset: { action: "terminate" } }, "Terminate");

  // Traffic: one flow to this instance, from the internet or from another instance.
  const others = () =>
    ctx.diagram
      .all()
      .filter((other) => other.service === "ec2" && other.type === "instance" && other.id !== node.id && other.state !== "terminated");
  const source = h("select", { name: "source" });
  const fillSources = () => {
    const chosen = source.value;
    source.replaceChildren(
      h("option", { value: "" }, "the internet"),
      ...others().map((other) => h("option", { value: instanceId(other) }, `${other.label} (${instanceId(other)})`)),
    );
    if ([...source.options].some((option) => option.value === chosen)) source.value = chosen;
  };
  const sourceIp = h("input", { name: "source_ip", value: "203.0.113.9", autocomplete: "off" });
  const port = h("input", { name: "port", type: "number", min: "0", max: "65535", value: "443" });
  const protocol = h("select", { name: "protocol" }, ["tcp", "udp", "icmp"].map((p) => h("option", { value: p }, p)));
  const send = h("button", { type: "button", dataset: { action: "send-traffic" } }, "Send traffic");
  const trafficLine = resultLine("traffic");
  send.addEventListener("click", async () => {
    const body = { target: instanceId(node), port: Number(port.value || 0), protocol: protocol.value, region: node.region };
    if (source.value) body.source = source.value;
    else body.source_ip = sourceIp.value.trim();
    const answer = await run(send, trafficLine, () => request("POST", urls.traffic, body));
    if (answer === null) return;
    const from = source.value || body.source_ip;
    showResult(trafficLine, `${answer.action}: ${protocol.value} ${port.value} from ${from}`, answer.action === "ACCEPT");
    trafficLine.dataset.action = answer.action;
  });
  source.addEventListener("focus", fillSources);

  // Traffic profile: the flow above, sent every minute of the sandbox clock until cleared.
  const rate = h("input", { name: "packets_per_minute", type: "number", min: "1", max: "100000", value: "60" });
  const setProfile = h("button", { type: "button", dataset: { action: "set-profile" } }, "Send every minute");
  const clearProfile = h("button", { type: "button", dataset: { action: "clear-profile" } }, "Stop");
  const profileLine = resultLine("profile");
  const describeProfile = (profile) =>
    profile
      ? `Every minute: ${profile.packets_per_minute} packets ${profile.protocol} ${profile.port} from ${profile.source || profile.source_ip}`
      : "No traffic profile";
  setProfile.addEventListener("click", async () => {
    const body = {
      instance: instanceId(node), target: instanceId(node), port: Number(port.value || 0), protocol: protocol.value,
      packets_per_minute: Number(rate.value || 0), region: node.region,
    };
    if (source.value) body.source = source.value;
    else body.source_ip = sourceIp.value.trim();
    const answer = await run(setProfile, profileLine, () => request("POST", urls.profile, body));
    if (answer === null) return;
    showResult(profileLine, describeProfile(answer.profile));
  });
  clearProfile.addEventListener("click", async () => {
    const query = new URLSearchParams({ instance: instanceId(node), region: node.region || "" });
    const answer = await run(clearProfile, profileLine, () => request("DELETE", `${urls.profile}?${query}`));
    if (answer === null) return;
    showResult(profileLine, describeProfile(null));
  });

  // CPU load: the simulated utilisation behind CPUUtilization.
  const profile = h("select", { name: "profile" }, ["idle", "steady", "spiky", "schedule"].map((p) => h("option", { value: p }, p)));
  const percent = h("input", { name: "percent", type: "number", min: "0", max: "100", value: "80" });
  const schedule = h("input", { name: "schedule", autocomplete: "off", placeholder: "09:00=80 17:00=5 +30=60" });
  const setLoad = h("button", { type: "button", dataset: { action: "set-load" } }, "Set load");
  const loadLine = resultLine("load");
  setLoad.addEventListener("click", async () => {
    const body = { instance: instanceId(node), profile: profile.value, region: node.region };
    if (profile.value === "schedule") body.schedule = schedule.value.trim();
    else body.percent = Number(percent.value || 0);
    const answer = await run(setLoad, loadLine, () => request("POST", urls.load, body));
    if (answer === null) return;
    const steps = (answer.schedule || []).map((step) => `${step.at} ${step.percent}%`).join(", ");
    showResult(
      loadLine,
      answer.profile === "idle" ? "CPU load: idle" : answer.profile === "schedule" ? `CPU load: daily schedule (UTC) ${steps}` : `CPU load: ${answer.profile} ${answer.percent}%`,
    );
  });

  const paint = () => {
    state.className = `ec2-state ${node.state}`;
    state.textContent = CHANGING.has(node.state) ? `${node.state}…` : node.state;
    const rows = [
      ["Instance ID", instanceId(node)],
      ["Type", node.instance_type || ""],
      ["Private IP", node.private_ip || "–"],
      ["Public IP", node.public_ip || "–"],
    ];
    facts.replaceChildren(...rows.flatMap(([label, value]) => [h("dt", {}, label), h("dd", { dataset: { fact: label } }, h("code", {}, value))]));
    groups.replaceChildren(
      ...(node.security_groups || []).map((group) =>
        h(
          "li",
          { class: "ec2-group", dataset: { group: group.GroupId } },
          h("b", {}, group.GroupName), ` ${group.GroupId}`,
          h("div", {}, "Inbound:"),
          h("ul", { class: "ec2-rules", dataset: { direction: "ingress" } }, rulesText(group.Ingress).map((rule) => h("li", {}, rule))),
          h("div", {}, "Outbound:"),
          h("ul", { class: "ec2-rules", dataset: { direction: "egress" } }, rulesText(group.Egress).map((rule) => h("li", {}, rule))),
        ),
      ),
    );
    buttons.start.disabled = node.state !== "stopped";
    buttons.stop.disabled = node.state !== "running";
    buttons.reboot.disabled = node.state !== "running";
    terminate.disabled = node.state === "terminated" || node.state === "shutting-down";
  };

  const act = (button, operation, key, verb) =>
    button.addEventListener("click", async () => {
      const answer = await run(button, line, () => call(operation));
      if (answer === null) return;
      const change = answer[key]?.[0];
      showResult(line, change ? `${verb}: ${change.PreviousState.Name} → ${change.CurrentState.Name}` : `${verb}: sent`);
    });
  act(buttons.start, "StartInstances", "StartingInstances", "Start");
  act(buttons.stop, "StopInstances", "StoppingInstances", "Stop");
  act(buttons.reboot, "RebootInstances", null, "Reboot");
  terminate.addEventListener("click", () => ctx.deleteNode(node));

  const refresh = async () => {
    if (!urls.resource) return;
    try {
      const described = await ctx.api.get(urls.resource, { arn: node.id });
      if (described?.security_groups) node = { ...node, security_groups: described.security_groups };
      paint();
      const query = new URLSearchParams({ instance: instanceId(node), region: node.region || "" });
      const standing = await request("GET", `${urls.profile}?${query}`);
      if (standing?.profile) showResult(profileLine, describeProfile(standing.profile));
    } catch {
      // The instance may be gone; the next graph read removes it.
    }
  };

  const element = h(
    "div",
    { class: "insp-panel insp-ec2-instance", dataset: { panel: "ec2:instance", id: node.id } },
    header(ctx, node),
    identity([["ARN", node.id]]),
    section("State", state, h("div", { class: "ec2-buttons insp-form" }, buttons.start, buttons.stop, buttons.reboot), line),
    section("Instance", facts),
    section("Security groups", groups),
    section(
      "Traffic",
      h("div", { class: "insp-form ec2-traffic" },
        field("From", source), field("Source address", sourceIp, "when from the internet"),
        field("Protocol", protocol), field("Port", port), send),
      trafficLine,
      h("div", { class: "insp-form ec2-profile" }, field("Packets / minute", rate), setProfile, clearProfile),
      profileLine,
    ),
    section("CPU load", h("div", { class: "insp-form ec2-load" }, field("Profile", profile), field("Percent", percent),
      field("Schedule", schedule, "daily steps, UTC: HH:MM=percent or +minutes=percent"), setLoad), loadLine),
    dangerZone(terminate),
  );
  paint();
  fillSources();
  refresh();
  return {
    element,
    update(next) {
      node = { ...next, security_groups: next.security_groups?.length ? next.security_groups : node.security_groups };
      paint();
      if (document.activeElement !== source) fillSources();
    },
    onFlow() {},
    edgesChanged() {},
    dispose() {},
  };
}

export const inspectors = { instance: instancePanel };

export const legend = [
  { kind: "contains", label: "in VPC / subnet", color: "#868e96", dash: "1 4" },
  { kind: "flow-log", label: "flow log", color: "#0c8599", dash: "6 3" },
];

// What a rejected flow means, in the activity panel.
export function explainFlow(event) {
  if (event.kind !== "reject") return null;
  return {
    title: `Traffic rejected: ${event.detail?.protocol || "tcp"} ${event.detail?.port ?? ""}`,
    reason: "A security group, a network ACL (stateless: the reply too), a route or the instance's state refused it",
    fix: "Check the instance's security group inbound rules and its subnet's network ACL, both directions.",
  };
}

export const stylesheet = new URL("gui.css", import.meta.url);
