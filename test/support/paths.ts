import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
/** Real public data shared by the projects (read-only; derive variants in a temp folder, never edit these). */
export const SHARED_DATA = path.resolve(ROOT, '../shared/data');
export const sharedFile = (name: string) => path.join(SHARED_DATA, name);
