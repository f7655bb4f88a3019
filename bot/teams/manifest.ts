/**
 * The Teams app package: manifest.json (schema 1.17) with the bot, its command list and its scopes, plus the
 * colour (192 px) and outline (32 px, white on transparent) icons, zipped for upload to Teams admin / Developer
 * Portal. `dmm manifest teams --app-id <id> --out dmm.zip` writes it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { zipSync } from 'fflate';

const ASSETS = path.join(import.meta.dirname, 'assets');

export interface TeamsManifestOptions {
  /** The bot's Microsoft App ID (Azure Bot registration). */
  readonly appId: string;
  /** Package version, semver. */
  readonly version?: string;
  /** Public web address of the service, for the developer links. */
  readonly websiteUrl?: string;
}

/** Commands the Teams client suggests (at most 10 per scope). */
const COMMANDS: ReadonlyArray<{ title: string; description: string }> = [
  { title: 'help', description: 'What the bot does and every command' },
  { title: 'brief', description: "Today's daily brief" },
  { title: 'meeting', description: "Today's meeting: start, next, back, skip, close" },
  { title: 'decide', description: 'Record a decision with its rationale (chair)' },
  { title: 'action new', description: 'Create an action' },
  { title: 'actions', description: 'My actions (or overdue, today, open, all)' },
  { title: 'incidents', description: 'Incidents of the last 24 hours against the baseline' },
  { title: 'priorities', description: 'Control-strategy priorities against the baseline' },
  { title: 'minutes', description: 'Minutes of the last closed meeting' },
  { title: 'link', description: 'Link this channel to a unit (admin)' },
];

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function buildTeamsManifest(options: TeamsManifestOptions): Record<string, unknown> {
  if (!GUID.test(options.appId))
    throw new Error(`--app-id must be the bot's Microsoft App ID (a GUID), not '${options.appId}'`);
  const website = options.websiteUrl ?? 'https://example.invalid/dmm-bot';
  const scopes = ['personal', 'team', 'groupChat'];
  return {
    $schema: 'https://developer.microsoft.com/en-us/json-schemas/teams/v1.17/MicrosoftTeams.schema.json',
    manifestVersion: '1.17',
    version: options.version ?? '0.1.0',
    id: options.appId,
    developer: {
      name: 'dmm-bot',
      websiteUrl: website,
      privacyUrl: `${website}/privacy`,
      termsOfUseUrl: `${website}/terms`,
    },
    name: { short: 'DMM', full: 'Daily Management Meeting' },
    description: {
      short: 'Runs the Daily Management Meeting and posts the morning brief.',
      full:
        'Runs the policing Daily Management Meeting agenda in a channel, posts the morning brief per unit, records ' +
        'decisions with their rationale and actions with owners and due dates, and lets owners update their actions.',
    },
    icons: { color: 'color.png', outline: 'outline.png' },
    accentColor: '#1F3A5F',
    bots: [
      {
        botId: options.appId,
        scopes,
        supportsFiles: false,
        isNotificationOnly: false,
        commandLists: [{ scopes, commands: COMMANDS }],
      },
    ],
    // Private and shared channels too (standard channels come with the team scope). A shared channel may hold
    // people of another tenant: they are never members of the unit unless linked, and the channel's ceiling
    // applies as in any channel.
    supportedChannelTypes: ['privateChannels', 'sharedChannels'],
    permissions: ['identity', 'messageTeamMembers'],
    validDomains: [],
    // Resource-specific consent to read the bot's conversations through Microsoft Graph: after a replica dies
    // mid-post, the next one looks for the post (by the delivery key in its card) instead of posting it twice.
    webApplicationInfo: { id: options.appId, resource: `api://botid-${options.appId}` },
    authorization: {
      permissions: {
        resourceSpecific: [
          { name: 'ChannelMessage.Read.Group', type: 'Application' },
          { name: 'ChatMessage.Read.Chat', type: 'Application' },
          // The start and end of a Teams meeting of a linked conversation (a DMM run as a meeting): for meetings
          // of a chat, and of a channel.
          { name: 'OnlineMeeting.ReadBasic.Chat', type: 'Application' },
          { name: 'ChannelMeeting.ReadBasic.Group', type: 'Application' },
          // Its participants joining and leaving (the meeting's attendance): of a chat's meetings, of a channel's.
          { name: 'OnlineMeetingParticipant.Read.Chat', type: 'Application' },
          { name: 'ChannelMeetingParticipant.Read.Group', type: 'Application' },
        ],
      },
    },
  };
}

/** The zip Teams takes: manifest.json and the two icons at its root. */
export function buildTeamsPackage(options: TeamsManifestOptions): Uint8Array {
  const manifest = buildTeamsManifest(options);
  return zipSync({
    'manifest.json': new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`),
    'color.png': fs.readFileSync(path.join(ASSETS, 'color.png')),
    'outline.png': fs.readFileSync(path.join(ASSETS, 'outline.png')),
  });
}
