/** `dmm manifest slack|teams`: the platform app definitions, generated from the same command list the bot has. */
import fs from 'node:fs/promises';
import type { Command } from 'commander';
import { buildSlackManifest } from '../slack/manifest.js';
import { buildTeamsPackage } from '../teams/manifest.js';
import { type CliIo, ExitError } from './context.js';

export function addManifestCommands(program: Command, deps: { io: CliIo }): void {
  const { io } = deps;
  const manifest = program
    .command('manifest')
    .description('generate the Slack app manifest or the Teams app package');
  manifest
    .command('slack')
    .description('print the Slack app manifest (JSON) for "Create an app from a manifest"')
    .option('--url <url>', 'public https address of the service (events go to <url>/slack/events)')
    .option('--socket', 'Socket Mode: no public address needed (give SLACK_APP_TOKEN when serving)')
    .action((opts: { url?: string; socket?: boolean }) => {
      try {
        const built = buildSlackManifest({
          ...(opts.url ? { url: opts.url } : {}),
          socketMode: Boolean(opts.socket),
        });
        io.stdout(`${JSON.stringify(built, null, 2)}\n`);
      } catch (error) {
        throw new ExitError(2, (error as Error).message);
      }
    });
  manifest
    .command('teams')
    .description('write the Teams app package (manifest.json + icons, zipped) for upload to Teams')
    .requiredOption('--app-id <guid>', "the bot's app (client) id (TEAMS_CLIENT_ID)")
    .option('--out <file>', 'where to write the zip', 'dmm-teams-app.zip')
    .option('--version <semver>', 'package version', '0.1.0')
    .option('--website <url>', 'public web address for the developer links')
    .action(async (opts: { appId: string; out: string; version: string; website?: string }) => {
      let zip: Uint8Array;
      try {
        zip = buildTeamsPackage({
          appId: opts.appId,
          version: opts.version,
          ...(opts.website ? { websiteUrl: opts.website } : {}),
        });
      } catch (error) {
        throw new ExitError(2, (error as Error).message);
      }
      try {
        await fs.writeFile(opts.out, zip, { flag: 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST')
          throw new ExitError(2, `${opts.out} already exists: give another --out, or remove it first.`);
        throw error;
      }
      io.stderr(
        `Wrote ${opts.out} (${zip.length} bytes): upload it in Teams (Apps > Manage your apps > Upload).\n`,
      );
    });
}
