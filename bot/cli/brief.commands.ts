/** `dmm brief` prints a unit's daily brief; `dmm forward …` keeps the forward look. */
import { type Command, Option } from 'commander';
import { buildBriefCard } from '../../cards/daily-brief.card.js';
import { renderCardMarkdown, renderCardText } from '../../cards/render/text.js';
import { type Audience, viewBrief } from '../../services/briefs/brief.model.js';
import {
  FORWARD_LOOK_KINDS,
  type ForwardLookKind,
} from '../../services/forward-look/forward-look.service.js';
import { UNUSUAL_RULE } from '../../services/incidents/picture.service.js';
import { formatLocal } from '../../services/time.js';
import type { Marking } from '../../services/validation.js';
import {
  type CliContext,
  idArg,
  isoDateArg,
  listing,
  operatorActor,
  resolveUnit,
  withServices,
} from './context.js';

export function addBriefCommands(program: Command, ctx: CliContext): void {
  const { io, config } = ctx;

  program
    .command('brief')
    .description("print a unit's daily brief (built once per local day and stored)")
    .option('--unit <code>', 'unit code (default: the only unit)')
    .option('--date <date>', 'local date of the brief (default today)', isoDateArg)
    .addOption(
      new Option('--audience <audience>', 'who it is for')
        .choices(['internal', 'partner'])
        .default('internal'),
    )
    .addOption(
      new Option('--ceiling <marking>', 'highest marking to show')
        .choices(['OFFICIAL', 'OFFICIAL-SENSITIVE'])
        .default('OFFICIAL'),
    )
    .addOption(
      new Option('--format <format>', 'output format: text for the terminal, md (Markdown) or json')
        .choices(['text', 'md', 'json'])
        .default('text'),
    )
    .option('--rebuild', 'build it again from the current data')
    .addHelpText(
      'after',
      `
Reading the brief:
  ▲ / ▼ beside a count: unusually high / low against the same hours on each of the previous 28 days.
  The rule: ${UNUSUAL_RULE}.
  Exceptions are listed highest risk first: critical, then emergency (G1), then high risk (THRIVE), then the
  rest (domestic abuse, mental health, missing person, child protection, hate, firearm).
  Response times run from opening to arrival; the unit's targets are set with \`dmm units targets\`.
  Partner views show counts of 1 or 2 as "fewer than 3".`,
    )
    .action(
      async (opts: {
        unit?: string;
        date?: string;
        audience: Audience;
        ceiling: Marking;
        format: 'text' | 'md' | 'json';
        rebuild?: boolean;
      }) => {
        await withServices(config(), async (services) => {
          const unit = await resolveUnit(services, opts.unit);
          const actor = operatorActor();
          const brief = await services.briefs.get(actor, unit.id, opts.date, {
            rebuild: Boolean(opts.rebuild),
          });
          const view = viewBrief(brief, { audience: opts.audience, ceiling: opts.ceiling });
          await services.audit.record(actor, {
            operation: 'disclosure',
            entityType: 'brief',
            entityId: `${unit.code}:${brief.localDate}`,
            unitId: unit.id,
            after: {
              audience: opts.audience,
              ceiling: view.marking,
              withheld: view.audience === 'internal' ? view.withheld.count : null,
            },
            recipients: ['stdout'],
            channel: 'cli',
          });
          const card = buildBriefCard(view);
          io.stdout(
            opts.format === 'json'
              ? `${JSON.stringify(view, null, 2)}\n`
              : opts.format === 'md'
                ? renderCardMarkdown(card)
                : renderCardText(card),
          );
        });
      },
    );

  const forward = program
    .command('forward')
    .description('the forward look: events, operations, warrants, releases in the next 24 h');
  forward
    .command('add')
    .description('add a forward-look item')
    .option('--unit <code>', 'unit code (default: the only unit)')
    .addOption(new Option('--kind <kind>', 'kind').choices([...FORWARD_LOOK_KINDS]).makeOptionMandatory())
    .requiredOption('--title <title>', 'title')
    .requiredOption('--at <time>', 'start, ISO 8601 (e.g. 2026-11-23T14:00:00Z, or with an offset)')
    .option('--until <time>', 'end, ISO 8601')
    .option('--location <text>', 'location')
    .addOption(
      new Option('--marking <marking>', 'marking')
        .choices(['OFFICIAL', 'OFFICIAL-SENSITIVE'])
        .default('OFFICIAL'),
    )
    .action(
      async (opts: {
        unit?: string;
        kind: ForwardLookKind;
        title: string;
        at: string;
        until?: string;
        location?: string;
        marking: Marking;
      }) => {
        await withServices(config(), async (services) => {
          const unit = await resolveUnit(services, opts.unit);
          const item = await services.forwardLook.create(operatorActor(), {
            unitId: unit.id,
            kind: opts.kind,
            title: opts.title,
            startsAt: opts.at,
            endsAt: opts.until ?? null,
            location: opts.location ?? null,
            marking: opts.marking,
          });
          io.stdout(
            `Forward-look item ${item.id} added: ${item.kind} at ${formatLocal(item.startsAt, unit.timeZone)}.\n`,
          );
        });
      },
    );
  forward
    .command('list')
    .description('planned items from now (or --from) for --hours (default 24)')
    .option('--unit <code>', 'unit code (default: the only unit)')
    .option('--hours <n>', 'how many hours ahead', (v) => idArg(v), 24)
    .action(async (opts: { unit?: string; hours: number }) => {
      await withServices(config(), async (services) => {
        const unit = await resolveUnit(services, opts.unit);
        const from = services.clock.now();
        const items = await services.forwardLook.listBetween(
          operatorActor(),
          unit.id,
          from,
          new Date(from.getTime() + opts.hours * 3_600_000),
        );
        io.stdout(
          listing(
            items,
            `Nothing planned on ${unit.code} in the next ${opts.hours} h.`,
            ['ID', 'STARTS', 'KIND', 'MARKING', 'TITLE'],
            (i) => [String(i.id), formatLocal(i.startsAt, unit.timeZone), i.kind, i.marking, i.title],
          ),
        );
      });
    });
  forward
    .command('cancel')
    .description('cancel a forward-look item (it stays on record)')
    .argument('<id>', 'item id', idArg)
    .requiredOption('--reason <text>', 'why it is cancelled')
    .action(async (id: number, opts: { reason: string }) => {
      await withServices(config(), async (services) => {
        const item = await services.forwardLook.cancel(operatorActor(), id, opts.reason);
        io.stdout(`Forward-look item ${item.id} cancelled.\n`);
      });
    });
}
