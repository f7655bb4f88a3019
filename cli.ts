/** Process entry point for `dmm` (`npm run dmm -- <command>`, `npm start`). All logic is in bot/cli. */
import { runCli } from './bot/cli/program.js';

const untilSignal = () =>
  new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTty: process.stderr.isTTY,
  untilSignal,
});
process.exitCode = code;
