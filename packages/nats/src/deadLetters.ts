import type { JetStreamClient } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import { DeadLetterSchema, decode, encode, payloadText, type DeadLetter, type DeadLetterKind } from './envelopes';
import { errorBody, natsFailure } from './errorBodies';
import type { Subjects } from './subjects';

export interface DeadLetterSource {
  readonly subject: string;
  readonly stream?: string;
  readonly seq?: number;
  readonly deliveries?: number;
  readonly msgId?: string;
}

/**
 * Writes dead letters: `<prefix>.dead.<origin>.<kind>` on the DEAD_LETTERS stream, with the
 * reason as an error body and the payload as received. A dead letter of a stream message is
 * published with Nats-Msg-Id `<stream>:<seq>`, so writing it again after a crash stores it once.
 */
export class DeadLetters {
  constructor(
    private readonly js: JetStreamClient,
    private readonly subjects: Subjects,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async record(origin: string, kind: DeadLetterKind, error: unknown, source: DeadLetterSource, data: Uint8Array, headers?: MsgHdrs): Promise<DeadLetter> {
    const letter: DeadLetter = {
      v: 1,
      kind,
      reason: errorBody(error),
      source: { ...source },
      headers: headersRecord(headers),
      ...payloadText(data),
      at: this.clock().toISOString(),
    };
    const msgID = source.stream !== undefined && source.seq !== undefined ? `${source.stream}:${source.seq}` : undefined;
    try {
      await this.js.publish(this.subjects.dead(origin, kind), encode(letter), msgID ? { msgID } : {});
    } catch (error) {
      throw natsFailure('cannot write a dead letter', error);
    }
    return letter;
  }
}

/** Every dead letter currently kept (oldest first), optionally of one origin and kind: for operators and tests. */
export async function readDeadLetters(js: JetStreamClient, subjects: Subjects, filter: { origin?: string; kind?: DeadLetterKind } = {}): Promise<DeadLetter[]> {
  // One filter subject as a string: server 2.9 takes no list.
  const consumer = await js.consumers.get(subjects.streamName('DEAD_LETTERS'), { filter_subjects: subjects.deadFilter(filter.origin, filter.kind) });
  const letters: DeadLetter[] = [];
  if ((await consumer.info(false)).num_pending === 0) return letters;
  const messages = await consumer.consume({ max_messages: 256 });
  for await (const m of messages) {
    letters.push(decode(DeadLetterSchema, m.data, 'dead letter'));
    if (m.info.pending === 0) break;
  }
  await messages.close();
  return letters;
}

function headersRecord(headers: MsgHdrs | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (!headers) return out;
  for (const key of headers.keys()) out[key] = headers.values(key);
  return out;
}
