/**
 * What the CLI writes to a terminal: data from imports and chat (a reject's raw line, a decision's text) may hold
 * control characters that a terminal would obey (ESC sequences rewrite the screen or the title, BEL rings, CR
 * overwrites a line). Every such character is shown as a visible `\uXXXX` escape instead, which is also a valid
 * escape inside a JSON string, so JSON output stays equivalent. Newlines and tabs pass; a carriage return passes
 * only where the CLI itself draws (the progress bar on stderr).
 */

// C0 controls but TAB and LF (and CR where allowed), DEL, the C1 controls, and the bidirectional overrides and
// isolates that can make a line read differently from what it holds.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL_BUT_CR = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

const asEscape = (c: string) => `\\u${(c.codePointAt(0) as number).toString(16).padStart(4, '0')}`;

/** `text` with every control character a terminal would act on shown as `\uXXXX`. */
export function visible(text: string, options: { allowCarriageReturn?: boolean } = {}): string {
  return text.replace(options.allowCarriageReturn ? CONTROL_BUT_CR : CONTROL, asEscape);
}
