/**
 * The chat edge on Teams, model-based (test/support/chat-model.ts): random sequences of commands and presses
 * with repeats, concurrent pairs, stale cards, other units' ids, huge ids and OFFICIAL-SENSITIVE records, over
 * real HTTP against the fakes. After every step the records equal the model's, the conversation received exactly
 * the messages the model expects, nothing is an internal error and nothing sensitive reached the OFFICIAL
 * conversation; after every sequence the audit chain verifies.
 */
import { describeChatModel } from '../support/chat-model-suite.js';

describeChatModel('teams');
