// The `collage-diffusion` command line: parses arguments, runs one command, prints errors without stacks.
// The only place (with server/) that prints, exits or catches everything.
import { Command, CommanderError } from 'commander';
import { describeError, isUserError } from '../errors.ts';
import { registerEvalCommand } from './eval.ts';
import { registerModelEvalMethods } from './eval-model-methods.ts';
import { registerWorldCommand } from './world.ts';
import { registerComposeCommand } from './compose.ts';
import { registerImportCommand } from './import.ts';
import { registerServeCommand } from './serve.ts';
import { registerGenerateCommand } from './generate.ts';
import { registerInvertCommand } from './invert.ts';
import { registerTrainCommand } from './train.ts';

/** Exit codes: 0 ok, 1 user error (bad input, model, collage), 2 usage error, 3 internal error, 130 cancelled. */
export const EXIT_CODES = { ok: 0, userError: 1, usage: 2, internal: 3, cancelled: 130 } as const;

export function buildProgram(): Command {
  const program = new Command('collage-diffusion')
    .description('Layered, controllable image generation (Collage Diffusion) on Stable Diffusion models')
    .version('0.1.0')
    .exitOverride();
  registerGenerateCommand(program);
  registerInvertCommand(program);
  registerWorldCommand(program);
  registerModelEvalMethods();
  registerEvalCommand(program);
  registerComposeCommand(program);
  registerImportCommand(program);
  registerServeCommand(program);
  registerTrainCommand(program);
  return program;
}

/** Runs the CLI with argv (without node and script), returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_CODES.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
    }
    console.error(describeError(e));
    if (e instanceof Error && e.name === 'CancelledError') return EXIT_CODES.cancelled;
    return isUserError(e) ? EXIT_CODES.userError : EXIT_CODES.internal;
  }
}
