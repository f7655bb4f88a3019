/** Process entry point for `dmm` (`npm run dmm -- <command>`, `npm start`). All logic is in bot/cli. */
import { runCli } from './bot/cli/program.js';

const untilSignal = () =>
  new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });

// A reader that stops early (`dmm import rejects 4 | head`) closes the pipe: the rest of the output is dropped
// and the command ends normally, as other command-line tools do, instead of crashing on EPIPE.
let stdoutClosed = false;
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  stdoutClosed = true;
});

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => {
    if (!stdoutClosed) process.stdout.write(text);
  },
  stderr: (text) => process.stderr.write(text),
  isTty: process.stderr.isTTY,
  untilSignal,
});
process.exitCode = code;
