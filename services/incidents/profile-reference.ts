/**
 * The reference of every mapping-profile key, generated from the profile schema itself (its JSON Schema, with
 * the descriptions the schema carries), so the documentation cannot drift from what `loadProfile` accepts.
 * `npm run docs` writes it to docs/incident-profile-keys.md; a test checks the file is current.
 */
import { z } from 'zod';
import { profileSchema } from './profile.js';

interface Node {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  pattern?: string;
  properties?: Record<string, Node>;
  required?: string[];
  items?: Node;
  additionalProperties?: Node | boolean;
  anyOf?: Node[];
  minItems?: number;
}

const code = (text: string) => `\`${text}\``;

function typeOf(node: Node): string {
  if (node.enum) return `one of ${node.enum.map((v) => code(String(v))).join(', ')}`;
  if (node.anyOf) return node.anyOf.map(typeOf).join(' **or** ');
  if (node.type === 'array') return `list of ${node.items ? typeOf(node.items) : 'values'}`;
  if (node.type === 'object' && node.properties)
    return `{${Object.keys(node.properties)
      .map((k) => code(k))
      .join(', ')}}`;
  if (node.type === 'object' && typeof node.additionalProperties === 'object')
    return `map of source value → ${typeOf(node.additionalProperties)}`;
  if (node.type === 'integer') return 'whole number';
  return String(node.type ?? 'value');
}

function rows(node: Node, path: string, required: boolean, out: string[]): void {
  const notes: string[] = [];
  if (required) notes.push('**required**');
  if (node.default !== undefined) notes.push(`default ${code(JSON.stringify(node.default))}`);
  if (node.minItems) notes.push(`at least ${node.minItems}`);
  const description = (node.description ?? '').replaceAll('|', '\\|');
  out.push(
    `| ${code(path)} | ${typeOf(node).replaceAll('|', '\\|')} | ${[...notes, description].filter(Boolean).join('; ')} |`,
  );
  const branches = node.anyOf ?? [node];
  branches.forEach((branch, i) => {
    const prefix = node.anyOf ? `${path} (form ${i + 1})` : path;
    const inner = branch.type === 'array' && branch.items?.properties ? branch.items : branch;
    const childPath = inner === branch ? prefix : `${prefix}[]`;
    for (const [key, child] of Object.entries(inner.properties ?? {})) {
      rows(child, `${childPath}.${key}`, inner.required?.includes(key) ?? false, out);
    }
  });
}

/** The key reference as Markdown. */
export function profileKeyReference(): string {
  const schema = z.toJSONSchema(profileSchema, { io: 'input', unrepresentable: 'any' }) as Node;
  const out = [
    '# Mapping profile keys',
    '',
    '<!-- Generated from services/incidents/profile.ts by `npm run docs`; do not edit by hand. -->',
    '',
    'Every key a mapping profile may have (see `docs/incident-import.md` for how profiles are used). Keys are',
    'checked strictly: an unknown key is refused, naming the nearest valid one. Check a profile with',
    '`dmm import profiles show NAME` and `dmm import incidents FILE --profile NAME --dry-run`.',
    '',
    '| key | value | notes |',
    '| --- | --- | --- |',
  ];
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    rows(child, key, schema.required?.includes(key) ?? false, out);
  }
  out.push(
    '',
    'Time formats other than `iso` are luxon format tokens',
    '(https://moment.github.io/luxon/#/parsing?id=table-of-tokens): e.g. `MM/dd/yyyy hh:mm:ss a` for',
    "`03/01/2016 11:05:00 PM`, `yyyy-MM-dd'T'HH:mm:ss.SSS` for `2018-01-09T10:15:00.000`, `yyyy-MM` for a month.",
    '',
  );
  return out.join('\n');
}
