// Progress bars for long CLI commands (cli-progress). Quiet when stdout is not a
// terminal unless forced, so logs and CI output stay readable.
import cliProgress from "cli-progress";

export interface Progress {
  /** Sets the absolute position and optional named values shown after the bar. */
  update(value: number, fields?: Record<string, string | number>): void;
  stop(): void;
}

export interface ProgressOptions {
  /** Extra fields to show, e.g. ["loss", "rate"]; each is printed as name=value. */
  fields?: string[];
  /** Draw even when stderr is not a TTY (useful for recorded demos). */
  force?: boolean;
}

export function progressBar(label: string, total: number, options: ProgressOptions = {}): Progress {
  const fields = options.fields ?? [];
  const tail = fields.map((f) => `${f}={${f}}`).join(" ");
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% {value}/{total} eta {eta_formatted}${tail ? " " + tail : ""}`,
      barCompleteChar: "#",
      barIncompleteChar: "-",
      hideCursor: true,
      stream: process.stderr,
      noTTYOutput: options.force ?? false,
      notTTYSchedule: 5000,
      etaBuffer: 50,
    },
    cliProgress.Presets.legacy,
  );
  const empty = Object.fromEntries(fields.map((f) => [f, "-"]));
  bar.start(total, 0, empty);
  return {
    update: (value, values) => bar.update(value, values ?? {}),
    stop: () => bar.stop(),
  };
}
