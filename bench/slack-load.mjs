// The load generator of the Slack bench, in its own process so the clients' work (signing, HTTP) does not share
// the event loop of the servers being measured. It also runs the fake Slack Web API the apps post their replies
// to, so a client can wait for its own reply. Plain JavaScript: it runs on `node` with no loader.
// Protocol (IPC): sends {ready: url}; receives {run: {url, users, perClient, secret, team, channel, replies}} and
// answers {result: {ack: number[], reply: number[]}}; receives {stop: true} and exits.
import { createHmac } from 'node:crypto';
import http from 'node:http';

const waiters = new Map();
let seq = 0;
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const method = (req.url ?? '').replace(/^\/api\//, '');
    const body = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const answer =
      method === 'auth.test'
        ? { ok: true, user_id: 'U0BOT', team_id: 'T0BENCH', bot_id: 'B0BOT' }
        : { ok: true, channel: body.get('channel'), ts: `1.${++seq}`, message_ts: `1.${seq}` };
    const payload = JSON.stringify(answer);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
    const user = body.get('user');
    if (user) waiters.get(user)?.();
  });
});

function signed(opts, user) {
  const body = new URLSearchParams({
    team_id: opts.team,
    channel_id: opts.channel,
    channel_name: 'bench',
    user_id: user,
    command: '/dmm',
    text: 'actions mine',
    trigger_id: 't',
    response_url: 'http://127.0.0.1:9/unused',
  }).toString();
  const ts = Math.floor(Date.now() / 1000);
  const signature = `v0=${createHmac('sha256', opts.secret).update(`v0:${ts}:${body}`).digest('hex')}`;
  return {
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': signature,
    },
  };
}

async function run(opts) {
  const ack = [];
  const reply = [];
  await Promise.all(
    opts.users.map(async (user) => {
      for (let i = 0; i < opts.perClient; i += 1) {
        const { body, headers } = signed(opts, user);
        const replied = opts.replies ? new Promise((resolve) => waiters.set(user, resolve)) : undefined;
        const t0 = performance.now();
        const res = await fetch(`${opts.url}/slack/events`, { method: 'POST', headers, body });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`slash command answered ${res.status}`);
        ack.push(performance.now() - t0);
        if (replied) {
          await replied;
          reply.push(performance.now() - t0);
        }
      }
    }),
  );
  return { ack, reply };
}

server.listen(0, '127.0.0.1', () => {
  process.send({ ready: `http://127.0.0.1:${server.address().port}` });
});
process.on('message', async (message) => {
  if (message.stop) {
    server.close();
    process.exit(0);
  }
  if (message.run) {
    try {
      process.send({ result: await run(message.run) });
    } catch (error) {
      process.send({ error: String(error?.stack ?? error) });
    }
  }
});
