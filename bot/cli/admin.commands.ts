/**
 * Setting up a real deployment from the command line: units, people and their platform identities, roles on
 * units (memberships) and control-strategy priorities. Every change is audited under `cli:<user>`.
 */
import { type Command, Option } from 'commander';
import { ROLES, type Role } from '../../services/access/actor.js';
import { GRADES } from '../../services/incidents/incident.model.js';
import { PLATFORMS, type Platform } from '../../services/people/people.service.js';
import {
  type CliContext,
  ExitError,
  idArg,
  isoDateArg,
  listing,
  operatorActor,
  resolveUnit,
  table,
  withServices,
} from './context.js';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A person id, or `none` (which clears it; commander keeps no null, so `none` is carried as it is). */
const ownerArg = (value: string): number | 'none' => (value.toLowerCase() === 'none' ? 'none' : idArg(value));
/** A date, or `none` (which clears it). */
const reviewArg = (value: string): string => (value.toLowerCase() === 'none' ? 'none' : isoDateArg(value));
const orNull = <T>(value: T | 'none'): T | null => (value === 'none' ? null : value);

export function addAdminCommands(program: Command, ctx: CliContext): void {
  const { io, config } = ctx;

  const units = program.command('units').description('create and list units (force, BCU, sector)');
  units
    .command('create')
    .description('create a unit with its time zone, brief time and category scheme (default agenda)')
    .requiredOption('--code <code>', 'short handle, lower-case letters, digits and dashes (e.g. north-bcu)')
    .requiredOption('--name <name>', 'display name')
    .option('--time-zone <zone>', 'IANA time zone', 'Europe/London')
    .option('--brief-time <HH:MM>', 'local time of the morning brief', '07:00')
    .addOption(new Option('--scheme <scheme>', 'action categories').choices(['PIER', '4P']).default('PIER'))
    .action(
      async (opts: {
        code: string;
        name: string;
        timeZone: string;
        briefTime: string;
        scheme: 'PIER' | '4P';
      }) => {
        await withServices(config(), async (services) => {
          const unit = await services.units.create(operatorActor(), {
            code: opts.code,
            name: opts.name,
            timeZone: opts.timeZone,
            briefTime: opts.briefTime,
            categoryScheme: opts.scheme,
          });
          io.stdout(
            `Unit ${unit.code} created (id ${unit.id}, ${unit.timeZone}, brief at ${unit.briefTime}, ${unit.categoryScheme}).\n`,
          );
        });
      },
    );
  units
    .command('list')
    .description('list units')
    .action(async () => {
      await withServices(config(), async (services) => {
        const list = await services.units.list();
        io.stdout(
          listing(
            list,
            'No units yet. Create one with `dmm units create` or load the demo with `dmm demo`.',
            ['ID', 'CODE', 'NAME', 'TIME ZONE', 'BRIEF', 'SCHEME'],
            (u) => [String(u.id), u.code, u.name, u.timeZone, u.briefTime, u.categoryScheme],
          ),
        );
      });
    });

  units
    .command('targets')
    .description("show or set a unit's response targets (minutes from opening to arrival, per grade)")
    .option('--unit <code>', 'unit code (default: the only unit)')
    .option(
      '--set <grade=minutes>',
      'a target, e.g. G1=15 (repeatable: G1, G2, G3, G4; the set replaces every target)',
      collect,
      [],
    )
    .action(async (opts: { unit?: string; set: string[] }) => {
      await withServices(config(), async (services) => {
        let unit = await resolveUnit(services, opts.unit);
        if (opts.set.length > 0) {
          const targets: Record<string, number> = {};
          for (const pair of opts.set) {
            const match = /^\s*(G[1-4])\s*=\s*(\S+)\s*$/i.exec(pair);
            const grade = GRADES.find((g) => g.startsWith(`${match?.[1]?.toUpperCase()}_`));
            if (!match || !grade)
              throw new ExitError(
                2,
                `--set ${pair}: write a grade and minutes, e.g. --set G1=15 (grades G1 to G4).`,
              );
            targets[grade] = Number(match[2]);
          }
          unit = await services.units.setResponseTargets(operatorActor(), unit.id, targets);
        }
        const shown = Object.entries(unit.responseTargets)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([grade, minutes]) => `${grade.slice(0, 2)} ${minutes} min`)
          .join(', ');
        io.stdout(
          `Response targets of ${unit.code}: ${shown || 'none'}.${opts.set.length > 0 ? ' Briefs built from now on use them.' : ''}\n`,
        );
      });
    });

  const people = program.command('people').description('add people and link their Slack / Teams identities');
  people
    .command('add')
    .description('add a person (prints their id)')
    .requiredOption('--name <name>', 'display name, e.g. "Insp Response Team 2"')
    .action(async (opts: { name: string }) => {
      await withServices(config(), async (services) => {
        const person = await services.people.create(operatorActor(), { displayName: opts.name });
        io.stdout(
          `Person ${person.id} added: ${person.displayName}. Give them a role with \`dmm members add\`.\n`,
        );
      });
    });
  people
    .command('link')
    .description('link a platform identity (Slack user id, Teams AAD object id) to a person')
    .requiredOption('--person <id>', 'person id', idArg)
    .addOption(new Option('--platform <platform>', 'platform').choices([...PLATFORMS]).makeOptionMandatory())
    .option('--tenant <id>', 'Slack team id or Teams tenant id', '')
    .requiredOption('--external-id <id>', 'the user id on that platform')
    .action(async (opts: { person: number; platform: Platform; tenant: string; externalId: string }) => {
      await withServices(config(), async (services) => {
        await services.people.linkIdentity(operatorActor(), {
          personId: opts.person,
          platform: opts.platform,
          tenantId: opts.tenant,
          externalId: opts.externalId,
        });
        io.stdout(`Linked ${opts.platform} identity ${opts.externalId} to person ${opts.person}.\n`);
      });
    });

  const members = program.command('members').description("manage people's roles on a unit");
  const roleOption = () =>
    new Option('--role <role>', 'role on the unit').choices([...ROLES]).makeOptionMandatory();
  members
    .command('add')
    .description('give a person a role on a unit')
    .option('--unit <code>', 'unit code (default: the only unit)')
    .requiredOption('--person <id>', 'person id', idArg)
    .addOption(roleOption())
    .action(async (opts: { unit?: string; person: number; role: Role }) => {
      await withServices(config(), async (services) => {
        const unit = await resolveUnit(services, opts.unit);
        await services.people.addMembership(operatorActor(), {
          unitId: unit.id,
          personId: opts.person,
          role: opts.role,
        });
        io.stdout(`Person ${opts.person} is ${opts.role} on ${unit.code}.\n`);
      });
    });
  members
    .command('remove')
    .description("remove a person's role on a unit")
    .option('--unit <code>', 'unit code (default: the only unit)')
    .requiredOption('--person <id>', 'person id', idArg)
    .addOption(roleOption())
    .action(async (opts: { unit?: string; person: number; role: Role }) => {
      await withServices(config(), async (services) => {
        const unit = await resolveUnit(services, opts.unit);
        await services.people.removeMembership(operatorActor(), {
          unitId: unit.id,
          personId: opts.person,
          role: opts.role,
        });
        io.stdout(`Person ${opts.person} is no longer ${opts.role} on ${unit.code}.\n`);
      });
    });
  members
    .command('list')
    .description('list the people on a unit and their roles')
    .option('--unit <code>', 'unit code (default: the only unit)')
    .action(async (opts: { unit?: string }) => {
      await withServices(config(), async (services) => {
        const unit = await resolveUnit(services, opts.unit);
        const list = await services.people.membersOf(unit.id);
        io.stdout(
          table([
            ['ID', 'NAME', 'ROLES'],
            ...list.map((m) => [String(m.id), m.displayName, m.roles.join(', ')]),
          ]),
        );
      });
    });

  const priorities = program.command('priorities').description('control-strategy priorities');
  priorities
    .command('add')
    .description('add a priority set by the strategic T&CG')
    .option('--unit <code>', 'unit code (default: the only unit)')
    .requiredOption('--title <title>', 'title')
    .option('--description <text>', 'description')
    .option('--morile <score>', 'MoRiLE score (whole number)', (v) => idArg(v))
    .option('--from <date>', 'first day (default today)', isoDateArg)
    .option('--until <date>', 'last day (default open-ended)', isoDateArg)
    .option('--keyword <word>', 'incident keyword that matches this priority (repeatable)', collect)
    .option('--owner <person id>', 'who is responsible for its delivery plan (a member of the unit)', idArg)
    .addOption(
      new Option('--marking <marking>', 'its marking: an operation name may be OFFICIAL-SENSITIVE')
        .choices(['OFFICIAL', 'OFFICIAL-SENSITIVE'])
        .default('OFFICIAL'),
    )
    .option('--objective <text>', 'the TT&CG objective it serves')
    .option('--review <date>', 'when the TT&CG reviews it, YYYY-MM-DD', isoDateArg)
    .action(
      async (opts: {
        unit?: string;
        title: string;
        description?: string;
        morile?: number;
        from?: string;
        until?: string;
        keyword?: string[];
        owner?: number;
        marking: 'OFFICIAL' | 'OFFICIAL-SENSITIVE';
        objective?: string;
        review?: string;
      }) => {
        await withServices(config(), async (services) => {
          const unit = await resolveUnit(services, opts.unit);
          const priority = await services.priorities.create(operatorActor(), {
            unitId: unit.id,
            title: opts.title,
            description: opts.description ?? null,
            morileScore: opts.morile ?? null,
            ...(opts.from ? { startsOn: opts.from } : {}),
            endsOn: opts.until ?? null,
            matchingRules: opts.keyword ? { keywords: opts.keyword } : {},
            ownerPersonId: opts.owner ?? null,
            marking: opts.marking,
            objective: opts.objective ?? null,
            reviewOn: opts.review ?? null,
          });
          io.stdout(
            `Priority ${priority.id} added to ${unit.code}: ${priority.title} (${priority.marking}).\n`,
          );
        });
      },
    );
  priorities
    .command('list')
    .description('priorities active today (or on --on), highest MoRiLE score first')
    .option('--unit <code>', 'unit code (default: the only unit)')
    .option('--on <date>', 'local date', isoDateArg)
    .action(async (opts: { unit?: string; on?: string }) => {
      await withServices(config(), async (services) => {
        const unit = await resolveUnit(services, opts.unit);
        const list = await services.priorities.listActive(operatorActor(), unit.id, opts.on);
        const owners = new Map(
          (await services.people.membersOf(unit.id)).map((m) => [m.id, `${m.displayName} (${m.id})`]),
        );
        io.stdout(
          listing(
            list,
            `No active priorities on ${unit.code}.`,
            ['ID', 'MORILE', 'FROM', 'UNTIL', 'REVIEW', 'MARKING', 'OWNER', 'TITLE'],
            (p) => [
              String(p.id),
              p.morileScore === null ? '-' : String(p.morileScore),
              p.startsOn,
              p.endsOn ?? '-',
              p.reviewOn ?? '-',
              p.marking,
              p.ownerPersonId === null ? '-' : (owners.get(p.ownerPersonId) ?? String(p.ownerPersonId)),
              p.objective ? `${p.title} (objective: ${p.objective})` : p.title,
            ],
          ),
        );
      });
    });
  priorities
    .command('set')
    .description("set a priority's owner, marking, TT&CG objective or review date (audited)")
    .argument('<id>', 'priority id', idArg)
    .option('--owner <person id>', 'who is responsible for its delivery plan; `none` to clear', ownerArg)
    .addOption(new Option('--marking <marking>', 'its marking').choices(['OFFICIAL', 'OFFICIAL-SENSITIVE']))
    .option('--objective <text>', 'the TT&CG objective it serves; an empty text clears it')
    .option('--review <date>', 'when the TT&CG reviews it, YYYY-MM-DD; `none` to clear', reviewArg)
    .action(
      async (
        id: number,
        opts: {
          owner?: number | 'none';
          marking?: 'OFFICIAL' | 'OFFICIAL-SENSITIVE';
          objective?: string;
          review?: string;
        },
      ) => {
        await withServices(config(), async (services) => {
          const priority = await services.priorities.update(operatorActor(), id, {
            ...(opts.owner !== undefined ? { ownerPersonId: orNull(opts.owner) } : {}),
            ...(opts.marking ? { marking: opts.marking } : {}),
            ...(opts.objective !== undefined ? { objective: opts.objective } : {}),
            ...(opts.review !== undefined ? { reviewOn: orNull(opts.review) } : {}),
          });
          io.stdout(
            `Priority ${priority.id}: ${priority.title} (${priority.marking}); owner ${priority.ownerPersonId ?? 'none'}; objective ${priority.objective ?? 'none'}; review ${priority.reviewOn ?? 'none'}.\n`,
          );
        });
      },
    );
  priorities
    .command('retire')
    .description('retire a priority (it stays on record)')
    .argument('<id>', 'priority id', idArg)
    .action(async (id: number) => {
      await withServices(config(), async (services) => {
        const priority = await services.priorities.retire(operatorActor(), id);
        io.stdout(`Priority ${priority.id} retired: ${priority.title}.\n`);
      });
    });

  const tokens = program.command('tokens').description('bearer tokens for the ingest API (stored hashed)');
  tokens
    .command('create')
    .description('create a token for the ingest API; it is shown once')
    .requiredOption('--name <name>', 'what uses it, e.g. "storm-export"')
    .requiredOption('--unit <code>', 'unit it may write to (repeatable)', collect)
    .option('--days <n>', 'days until it expires (1-730)', (v) => idArg(v), 90)
    .addOption(
      new Option(
        '--scope <scope>',
        'what it may do: write (import incidents, add forward-look items), read; repeatable',
      )
        .choices(['read', 'write'])
        .argParser((value: string, all: Array<'read' | 'write'> | undefined) => [
          ...(all ?? []),
          value as 'read' | 'write',
        ]),
    )
    .addOption(
      new Option('--ceiling <marking>', 'the highest marking it may read')
        .choices(['OFFICIAL', 'OFFICIAL-SENSITIVE'])
        .default('OFFICIAL'),
    )
    .action(
      async (opts: {
        name: string;
        unit: string[];
        days: number;
        scope?: Array<'read' | 'write'>;
        ceiling: 'OFFICIAL' | 'OFFICIAL-SENSITIVE';
      }) => {
        await withServices(config(), async (services) => {
          const unitIds = [];
          for (const code of opts.unit) unitIds.push((await services.units.getByCode(code)).id);
          const { token, record } = await services.tokens.create(operatorActor(), {
            name: opts.name,
            unitIds,
            expiresInDays: opts.days,
            scopes: opts.scope ?? ['write'],
            ceiling: opts.ceiling,
          });
          io.stderr(
            `Token ${record.id} (${record.name}) for ${opts.unit.join(', ')}: ${record.scopes.join(' and ')}, reads up to ${record.ceiling}, expires ${record.expiresAt.toISOString()}. It is shown once; store it now:\n`,
          );
          io.stdout(`${token}\n`);
        });
      },
    );
  tokens
    .command('list')
    .description('list tokens (never the secret)')
    .action(async () => {
      await withServices(config(), async (services) => {
        const list = await services.tokens.list();
        io.stdout(
          listing(
            list,
            'No API tokens. Create one with `dmm tokens create`.',
            ['ID', 'NAME', 'PREFIX', 'UNITS', 'EXPIRES', 'STATE'],
            (t) => [
              String(t.id),
              t.name,
              `${t.prefix}…`,
              t.unitIds.join(','),
              t.expiresAt.toISOString().slice(0, 10),
              t.revokedAt ? 'revoked' : t.expiresAt <= new Date() ? 'expired' : 'active',
            ],
          ),
        );
      });
    });
  tokens
    .command('revoke')
    .description('revoke a token at once')
    .argument('<id>', 'token id', idArg)
    .action(async (id: number) => {
      await withServices(config(), async (services) => {
        const token = await services.tokens.revoke(operatorActor(), id);
        io.stdout(`Token ${token.id} (${token.name}) revoked.\n`);
      });
    });
}
