/**
 * The Slack app manifest (JSON, which Slack's "Create an app from a manifest" accepts): the `/dmm` command,
 * interactivity (buttons, modals), the App Home tab and the scopes the app uses, all pointing at one request
 * URL, or Socket Mode for sites behind a firewall. `dmm manifest slack --url https://dmm.example` prints it.
 */
export interface SlackManifestOptions {
  /** Public base URL of the service (events go to `<url>/slack/events`); not needed with Socket Mode. */
  readonly url?: string;
  readonly socketMode?: boolean;
}

/** Bot scopes: exactly what the app calls. */
export const SLACK_BOT_SCOPES = [
  'commands', // the /dmm slash command
  'chat:write', // posts and updates cards in channels it is in, DMs to action owners
  'im:write', // opens the DM with a new action owner
  'channels:history', // finds a brief whose sender died mid-post (by its message metadata) instead of re-posting
  'groups:history', // the same in private channels
  'im:history', // the same for a reminder in the bot's DM with a person
] as const;

export function buildSlackManifest(options: SlackManifestOptions): Record<string, unknown> {
  const socket = Boolean(options.socketMode);
  if (!socket && !options.url) throw new Error('give --url (the public address of the service) or --socket');
  const base = options.url?.replace(/\/+$/, '');
  if (base && !/^https:\/\//.test(base))
    throw new Error('--url must start with https:// (Slack calls it over TLS)');
  const requestUrl = base ? `${base}/slack/events` : undefined;
  return {
    display_information: {
      name: 'DMM',
      description: 'Runs the Daily Management Meeting and posts the morning brief.',
      background_color: '#1f3a5f',
    },
    features: {
      app_home: { home_tab_enabled: true, messages_tab_enabled: true, messages_tab_read_only_enabled: false },
      bot_user: { display_name: 'DMM', always_online: true },
      slash_commands: [
        {
          command: '/dmm',
          ...(requestUrl ? { url: requestUrl } : {}),
          description: 'Daily Management Meeting: brief, meeting, decisions, actions',
          usage_hint: 'help | brief | meeting start | decide | action new | actions mine',
          should_escape: false,
        },
      ],
    },
    oauth_config: { scopes: { bot: [...SLACK_BOT_SCOPES] } },
    settings: {
      event_subscriptions: {
        ...(requestUrl ? { request_url: requestUrl } : {}),
        bot_events: ['app_home_opened'],
      },
      interactivity: { is_enabled: true, ...(requestUrl ? { request_url: requestUrl } : {}) },
      org_deploy_enabled: false,
      socket_mode_enabled: socket,
      token_rotation_enabled: false,
    },
  };
}
