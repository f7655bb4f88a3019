/**
 * The platform-neutral card: what a view model becomes before a renderer turns it into an Adaptive Card (Teams,
 * the console) or Block Kit (Slack). Builders (`*.card.ts`) know the domain; renderers (`render/`) know the
 * platforms. Every string here is plain text, user text included: each renderer escapes it for its own markup,
 * so builders never write markup and user text can never become markup.
 */
import type { Marking } from '../services/validation.js';
import type { CardPayload } from './card-actions.js';

export type Tone = 'default' | 'good' | 'warning' | 'attention' | 'accent';

/** A button. On Teams an Action.Execute with the payload's verb; on Slack a button whose value is the payload. */
export interface CardAction {
  readonly title: string;
  readonly payload: CardPayload;
  readonly style?: 'positive' | 'destructive';
}

interface InputBase {
  readonly id: string;
  readonly label: string;
  readonly required?: boolean;
  /** Shown when a required input is empty or a value is refused. */
  readonly errorMessage?: string;
}

export type CardInput =
  | (InputBase & {
      readonly kind: 'text';
      readonly multiline?: boolean;
      readonly maxLength?: number;
      readonly value?: string;
      readonly placeholder?: string;
    })
  | (InputBase & { readonly kind: 'date'; readonly value?: string })
  | (InputBase & {
      readonly kind: 'choice';
      readonly choices: ReadonlyArray<{ readonly title: string; readonly value: string }>;
      readonly value?: string;
    });

export type CardBlock =
  | { readonly type: 'heading'; readonly text: string }
  | {
      readonly type: 'text';
      readonly text: string;
      readonly tone?: Tone;
      readonly subtle?: boolean;
      readonly strong?: boolean;
    }
  | {
      readonly type: 'facts';
      readonly facts: ReadonlyArray<{ readonly label: string; readonly value: string }>;
    }
  | {
      readonly type: 'table';
      readonly columns: readonly string[];
      readonly rows: ReadonlyArray<readonly string[]>;
    }
  | { readonly type: 'notice'; readonly text: string; readonly tone: 'warning' | 'attention' | 'accent' }
  /**
   * A small series drawn as a bar chart where the surface can (Teams, the console), and as `summary` (a text
   * sparkline) where it cannot. A point with no value is a day left out (a gap), drawn as none.
   */
  | {
      readonly type: 'chart';
      readonly title: string;
      readonly xTitle: string;
      readonly yTitle: string;
      readonly points: ReadonlyArray<{ readonly label: string; readonly value: number | null }>;
      readonly summary: string;
    }
  | { readonly type: 'actions'; readonly actions: readonly CardAction[] }
  | { readonly type: 'divider' };

/** A form: on Teams and the console inputs in the card; on Slack a modal opened from the card's button. */
export interface CardForm {
  readonly inputs: readonly CardInput[];
  readonly submit: CardAction;
  /** A button that leaves the form without sending it (Teams and the console; a Slack modal has its own). */
  readonly cancel?: CardAction;
  /**
   * The form changes the record shown on the card it is opened from (a status or due-date form on an action
   * card): where the platform can, it opens in place of that card, and its result replaces that card.
   */
  readonly inPlace?: boolean;
}

/** A record a card shows, so a message showing it can be found and updated. */
export interface CardSubject {
  readonly type: 'action';
  readonly id: number;
  readonly version: number;
}

export interface Card {
  /** Short title: the modal title on Slack (cut to its limit), the first heading elsewhere. */
  readonly title: string;
  /** Shown as a banner at the top when set. */
  readonly marking?: Marking;
  readonly blocks: readonly CardBlock[];
  readonly form?: CardForm;
  /**
   * Per-user refresh (Teams Universal Actions): the card is fetched again with this payload when one of these
   * users opens it, so each sees their own buttons. At most 60 user ids (Teams' limit).
   */
  readonly refresh?: { readonly payload: CardPayload; readonly userIds: readonly string[] };
  /**
   * What the card is, for the placement rule: an error, help or a notice (a pointer to something withheld, a
   * note that a card was already used) goes to the person alone; anything else may go to the conversation.
   */
  readonly kind?: 'error' | 'help' | 'notice';
  /** Built from the partner view only (aggregates and themes): fit for a partner channel. */
  readonly sanitised?: boolean;
  /** The record the card shows, so a message showing it can be updated wherever it was posted. */
  readonly subject?: CardSubject;
}
