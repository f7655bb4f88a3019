import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ALL_HELP } from '../../../bot/core/grammar.js';
import { buildSlackManifest, SLACK_BOT_SCOPES } from '../../../bot/slack/manifest.js';
import { buildTeamsManifest, buildTeamsPackage } from '../../../bot/teams/manifest.js';

const APP_ID = '11111111-2222-4333-8444-555555555555';

/** Width and height from a PNG's IHDR chunk. */
function pngSize(bytes: Uint8Array): [number, number] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  expect([...bytes.slice(1, 4)].map((c) => String.fromCharCode(c)).join('')).toBe('PNG');
  return [view.getUint32(16), view.getUint32(20)];
}

describe('Slack app manifest', () => {
  it('points the command, interactivity and events at one request URL', () => {
    const m = buildSlackManifest({ url: 'https://dmm.example.org/' }) as {
      features: { slash_commands: Array<{ command: string; url: string }> };
      settings: Record<string, { request_url?: string; bot_events?: string[] } | boolean>;
      oauth_config: { scopes: { bot: string[] } };
    };
    const url = 'https://dmm.example.org/slack/events';
    expect(m.features.slash_commands).toEqual([expect.objectContaining({ command: '/dmm', url })]);
    expect(m.settings.interactivity).toMatchObject({ is_enabled: true, request_url: url });
    expect(m.settings.event_subscriptions).toMatchObject({
      request_url: url,
      bot_events: ['app_home_opened'],
    });
    expect(m.oauth_config.scopes.bot).toEqual([...SLACK_BOT_SCOPES]);
    expect(m.settings.socket_mode_enabled).toBe(false);
  });

  it('needs no URL in Socket Mode, and refuses a plain-http URL', () => {
    const m = buildSlackManifest({ socketMode: true }) as { settings: Record<string, unknown> };
    expect(m.settings.socket_mode_enabled).toBe(true);
    expect(JSON.stringify(m)).not.toContain('request_url');
    expect(() => buildSlackManifest({ url: 'http://dmm.example.org' })).toThrow(/https/);
    expect(() => buildSlackManifest({})).toThrow(/--url/);
  });
});

describe('Teams app package', () => {
  it('zips a 1.17 manifest for the bot with both icons at their sizes', () => {
    const files = unzipSync(buildTeamsPackage({ appId: APP_ID, version: '1.2.3' }));
    expect(Object.keys(files).sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    const manifest = JSON.parse(new TextDecoder().decode(files['manifest.json'])) as {
      manifestVersion: string;
      version: string;
      id: string;
      bots: Array<{
        botId: string;
        scopes: string[];
        commandLists: Array<{ commands: Array<{ title: string }> }>;
      }>;
      icons: Record<string, string>;
    };
    expect(manifest).toMatchObject({ manifestVersion: '1.17', version: '1.2.3', id: APP_ID });
    expect(manifest.bots[0]?.botId).toBe(APP_ID);
    expect(manifest.bots[0]?.scopes).toEqual(['personal', 'team', 'groupChat']);
    const commands = manifest.bots[0]?.commandLists[0]?.commands ?? [];
    expect(commands.length).toBeLessThanOrEqual(10);
    // Every suggested command is one the grammar knows.
    for (const c of commands) expect(ALL_HELP.some((h) => h.usage.startsWith(`dmm ${c.title}`))).toBe(true);
    expect(pngSize(files['color.png'] as Uint8Array)).toEqual([192, 192]);
    expect(pngSize(files['outline.png'] as Uint8Array)).toEqual([32, 32]);
  });

  it('asks for resource-specific consent to read its own conversations (to find a post in doubt)', () => {
    const manifest = buildTeamsManifest({ appId: APP_ID }) as {
      webApplicationInfo: { id: string };
      authorization: { permissions: { resourceSpecific: Array<{ name: string; type: string }> } };
    };
    expect(manifest.webApplicationInfo.id).toBe(APP_ID);
    expect(manifest.authorization.permissions.resourceSpecific).toEqual([
      { name: 'ChannelMessage.Read.Group', type: 'Application' },
      { name: 'ChatMessage.Read.Chat', type: 'Application' },
      // Meeting start and end events (issue 18, item 1).
      { name: 'OnlineMeeting.ReadBasic.Chat', type: 'Application' },
      { name: 'ChannelMeeting.ReadBasic.Group', type: 'Application' },
      // Participants joining and leaving (issue 18, item 1).
      { name: 'OnlineMeetingParticipant.Read.Chat', type: 'Application' },
      { name: 'ChannelMeetingParticipant.Read.Group', type: 'Application' },
    ]);
  });

  it('declares private and shared channels, as the 1.17 schema names them (issue 18, item 3)', () => {
    const manifest = buildTeamsManifest({ appId: APP_ID }) as {
      manifestVersion: string;
      supportedChannelTypes: string[];
    };
    expect(manifest.manifestVersion).toBe('1.17');
    // The schema's enum for the field (MicrosoftTeams.schema.json, v1.17): sharedChannels, privateChannels; at most 2.
    expect([...manifest.supportedChannelTypes].sort()).toEqual(['privateChannels', 'sharedChannels']);
  });

  it('refuses an app id that is not a GUID', () => {
    expect(() => buildTeamsManifest({ appId: 'dmm' })).toThrow(/GUID/);
  });
});
