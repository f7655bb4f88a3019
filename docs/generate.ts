/** `npm run docs`: writes the documentation generated from code (the profile key reference). */
import fs from 'node:fs/promises';
import path from 'node:path';
import { profileKeyReference } from '../services/incidents/profile-reference.js';

const file = path.join(import.meta.dirname, 'incident-profile-keys.md');
await fs.writeFile(file, profileKeyReference());
process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
