// The `maskau` command: headless runs of the same src/lib code the pages use.
// Each subcommand lives in cli/commands/<name>.ts and exports a commander Command.
import { Command } from "commander";
import { benchCommand } from "./commands/bench.js";
import { dataCommand } from "./commands/data.js";
import { fixtureCommand } from "./commands/fixture.js";
import { pretrainCommand } from "./commands/pretrain.js";
import { trainCommand } from "./commands/train.js";
import { evalCommand } from "./commands/eval.js";
import { reproduceCommand } from "./commands/reproduce.js";
import { infoCommand } from "./commands/info.js";
import { inspectCommand } from "./commands/inspect.js";
import { costsCommand } from "./commands/costs.js";
import { soakCommand } from "./commands/soak.js";
import { recordCommand } from "./commands/record.js";

export function buildProgram(): Command {
  const program = new Command("maskau")
    .description("MaskAU: occlusion-robust facial action unit recognition from a masked autoencoder's latent space")
    .showHelpAfterError();
  program.addCommand(infoCommand());
  program.addCommand(dataCommand());
  program.addCommand(fixtureCommand());
  program.addCommand(inspectCommand());
  program.addCommand(pretrainCommand());
  program.addCommand(trainCommand());
  program.addCommand(evalCommand());
  program.addCommand(reproduceCommand());
  program.addCommand(recordCommand());
  program.addCommand(benchCommand());
  program.addCommand(costsCommand());
  program.addCommand(soakCommand());
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    process.stderr.write(`maskau: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  }
}
