// Registered with `node --import`: records the URL of every module the process loads (one a line) in the file
// named by RECORD_LOADS, so a test can say what a command loaded.
import { register } from 'node:module';

register(
  `data:text/javascript,${encodeURIComponent(`
    import fs from 'node:fs';
    export async function resolve(specifier, context, next) {
      const result = await next(specifier, context);
      fs.appendFileSync(${JSON.stringify(process.env.RECORD_LOADS ?? '/dev/null')}, result.url + '\\n');
      return result;
    }
  `)}`,
);
