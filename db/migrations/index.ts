/**
 * The ordered list of migrations. Listed statically (not read from the file system) so the same list runs
 * from source, from tests and from any bundle. Append only; never edit or reorder a released migration.
 */
import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001-core.js';
import * as m0002 from './0002-incidents.js';
import * as m0003 from './0003-forward-look-and-briefs.js';
import * as m0004 from './0004-api-tokens.js';
import * as m0005 from './0005-picture-window-counts.js';
import * as m0006 from './0006-channel-bindings.js';
import * as m0007 from './0007-posted-messages.js';
import * as m0008 from './0008-jobs-and-deliveries.js';
import * as m0009 from './0009-reminder-snoozes.js';
import * as m0010 from './0010-delivery-attempts.js';
import * as m0011 from './0011-submissions.js';
import * as m0012 from './0012-import-integrity.js';
import * as m0013 from './0013-brief-revisions.js';
import * as m0014 from './0014-audit-keys.js';
import * as m0015 from './0015-token-scopes.js';
import * as m0016 from './0016-response-targets.js';
import * as m0017 from './0017-incident-picture-keys.js';
import * as m0018 from './0018-attendance-apologies.js';
import * as m0019 from './0019-minutes-approval.js';
import * as m0020 from './0020-priority-tcg.js';
import * as m0021 from './0021-action-links.js';
import * as m0022 from './0022-decision-reviews.js';
import * as m0023 from './0023-escalations.js';
import * as m0024 from './0024-intelligence-requirements.js';
import * as m0025 from './0025-identity-addresses.js';
import * as m0026 from './0026-meeting-participation.js';

const migrations: Record<string, Migration> = {
  '0001-core': m0001,
  '0002-incidents': m0002,
  '0003-forward-look-and-briefs': m0003,
  '0004-api-tokens': m0004,
  '0005-picture-window-counts': m0005,
  '0006-channel-bindings': m0006,
  '0007-posted-messages': m0007,
  '0008-jobs-and-deliveries': m0008,
  '0009-reminder-snoozes': m0009,
  '0010-delivery-attempts': m0010,
  '0011-submissions': m0011,
  '0012-import-integrity': m0012,
  '0013-brief-revisions': m0013,
  '0014-audit-keys': m0014,
  '0015-token-scopes': m0015,
  '0016-response-targets': m0016,
  '0017-incident-picture-keys': m0017,
  '0018-attendance-apologies': m0018,
  '0019-minutes-approval': m0019,
  '0020-priority-tcg': m0020,
  '0021-action-links': m0021,
  '0022-decision-reviews': m0022,
  '0023-escalations': m0023,
  '0024-intelligence-requirements': m0024,
  '0025-identity-addresses': m0025,
  '0026-meeting-participation': m0026,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};

export const migrationNames: readonly string[] = Object.keys(migrations);
