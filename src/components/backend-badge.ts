// A small badge naming the running compute backend (and the WebGPU adapter), coloured
// by how fast it is here, saying why when the automatic choice passed over WebGPU, with
// one click to WebGPU anyway and a menu to switch. Takes plain data; the caller decides
// what switching does.
import { BACKENDS, backendLabel, type BackendInfo, type BackendName } from "../lib/tf/backend.js";
import { speedNote, type BackendRequest, type BackendSpeed } from "../lib/tf/backend-choice.js";

export interface BackendBadgeOptions {
  /** Switch to a backend, or back to the automatic choice. */
  onSwitch?: (name: BackendName | "auto") => void;
  /** How fast the backend is here: the dot's colour. */
  speed?: BackendSpeed;
  /** Why the automatic choice is not WebGPU on a GPU ("WebGPU here is a software adapter"), shown after the name. */
  reason?: string | null;
  /** Offer one click to WebGPU (it exists here, but the automatic choice passed it over). */
  offerWebGPU?: boolean;
  /** Where the choice came from: the URL, the choice saved in this browser, or automatic. */
  source?: BackendRequest["source"];
}

const SOURCE_NOTE: Record<BackendRequest["source"], string> = {
  url: "chosen in the URL (kept for the next pages)",
  saved: "your choice, kept in this browser",
  automatic: "chosen automatically",
};

export function BackendBadge(info: BackendInfo, { onSwitch, speed = "moderate", reason = null, offerWebGPU = false, source }: BackendBadgeOptions = {}): HTMLElement {
  const badge = document.createElement("span");
  badge.className = `maskau-backend-badge maskau-backend-${info.name} maskau-speed-${speed}`;
  badge.dataset.backend = info.name;
  badge.dataset.speed = speed;
  if (source) badge.dataset.source = source;
  if (info.adapter) badge.dataset.adapter = info.adapter;
  if (info.threads !== undefined) badge.dataset.threads = String(info.threads);
  const label = document.createElement("span");
  label.className = "maskau-backend-label";
  label.textContent = info.name === "wasm" && info.threads !== undefined ? `wasm · ${info.threads} thread${info.threads === 1 ? "" : "s"}` : backendLabel(info);
  const notes = [speedNote(info.name, speed)];
  if (info.threads !== undefined) notes.push(threadsNote(info.threads, info.threadsNote));
  if (source) notes.push(SOURCE_NOTE[source]);
  if (info.fallbacks.length > 0) notes.push("Not available here: " + info.fallbacks.map((f) => `${f.name} (${f.error})`).join("; "));
  label.title = notes.join(". ");
  badge.append(label);
  if (reason) {
    const why = document.createElement("span");
    why.className = "maskau-backend-why";
    why.textContent = ` — ${reason}`;
    badge.append(why);
  }
  if (onSwitch && offerWebGPU && info.name !== "webgpu") {
    const anyway = document.createElement("button");
    anyway.type = "button";
    anyway.className = "maskau-backend-anyway";
    anyway.textContent = "use WebGPU anyway";
    anyway.addEventListener("click", () => onSwitch("webgpu"));
    badge.append(anyway);
  }
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
    if (source && source !== "automatic") {
      const auto = document.createElement("option");
      auto.value = "auto";
      auto.textContent = "automatic";
      select.append(auto);
    }
    select.addEventListener("change", () => onSwitch(select.value as BackendName | "auto"));
    badge.append(select);
  }
  return badge;
}

/** What the badge says about the wasm backend's threads. */
export function threadsNote(threads: number, why?: string): string {
  if (threads > 1) return `${threads} wasm threads (the page is cross-origin isolated)`;
  return why ? `1 wasm thread: ${why}` : "1 wasm thread";
}

/** A visible note about the backend choice (a `?backend=` value that names no backend). */
export function BackendNotice(text: string): HTMLElement {
  const notice = document.createElement("p");
  notice.className = "maskau-backend-notice";
  notice.setAttribute("role", "alert");
  notice.textContent = text;
  return notice;
}
