// The page a student lands on after joining a classroom: their new sandbox's first key, with the
// lines to paste, shown this once (the server sends the secret in this page only).

import { newKeyPanel } from "./keys.js";

const { key, region, endpoint } = JSON.parse(document.getElementById("new-key-data").textContent);
document.getElementById("new-key").replaceChildren(newKeyPanel(key, { region, endpoint }));
