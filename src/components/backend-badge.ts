// A small badge naming the running compute backend (and the WebGPU adapter),
// with a menu to switch. Takes plain data; the caller decides what switching does.
import { BACKENDS, backendLabel, type BackendInfo, type BackendName } from "../lib/tf/backend.js";

export interface BackendBadgeOptions {
  onSwitch?: (name: BackendName) => void;
}

export function BackendBadge(info: BackendInfo, { onSwitch }: BackendBadgeOptions = {}): HTMLElement {
  const badge = document.createElement("span");
  badge.className = `maskau-backend-badge maskau-backend-${info.name}`;
  badge.dataset.backend = info.name;
  if (info.adapter) badge.dataset.adapter = info.adapter;
  const label = document.createElement("span");
  label.className = "maskau-backend-label";
  label.textContent = backendLabel(info);
  if (info.fallbacks.length > 0) {
    label.title = "Not available here: " + info.fallbacks.map((f) => `${f.name} (${f.error})`).join("; ");
  }
  badge.append(label);
  if (onSwitch) {
    const select = document.createElement("select");
    select.className = "maskau-backend-select";
    select.setAttribute("aria-label", "compute backend");
    const prompt = document.createElement("option");
    prompt.textContent = "switch";
    prompt.value = "";
    prompt.disabled = prompt.selected = true;
    select.append(prompt);
    for (const name of BACKENDS.filter((b) => b !== info.name)) {
      const option = document.createElement("option");
      option.value = option.textContent = name;
      select.append(option);
    }
    select.addEventListener("change", () => onSwitch(select.value as BackendName));
    badge.append(select);
  }
  return badge;
}
