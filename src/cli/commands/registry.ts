// The list of CLI commands. A new command is one module in this folder and one line here.
// Each command is declarative (yargs builder + handler over a CliIO), so docs/cli.md can be
// generated from these definitions.

import type { Argv } from 'yargs';
import type { CliIO } from '../io.js';
import { inspectCommand } from './inspect.js';
import { optimizeCommand } from './optimize.js';
import { reportCommand } from './report.js';
import { qatCommand } from './qat.js';
import { runCommand } from './run.js';

export interface CliCommand {
  /** yargs command string, e.g. 'inspect <path>'. */
  command: string;
  describe: string;
  builder: (y: Argv) => Argv;
  /** Returns the exit code. Throws TfconvError for user-facing failures. */
  handler: (args: Record<string, unknown>, io: CliIO) => Promise<number>;
}

export const commands: CliCommand[] = [optimizeCommand, inspectCommand, runCommand, reportCommand, qatCommand];
