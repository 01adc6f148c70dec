// A UDP client for the send-queue test, run inside a network namespace: sends COUNT queries (IDs
// 0…COUNT-1, paced in small groups so the server's receive buffer is not what overflows) and records
// the ID of every reply, in arrival order. Driven over stdin/stdout, one line each way:
//   stdout "sent"           once every query is out
//   stdin  "count"  → stdout the number of replies so far
//   stdin  "ids"    → stdout the reply IDs as a JSON array, then it exits
// Usage: node udp-flood-client.mjs HOST PORT COUNT QUESTION_HEX
import { createSocket } from 'node:dgram';
import { createInterface } from 'node:readline';

const [host, port, count, questionHex] = process.argv.slice(2);
const total = Number(count);
const question = Buffer.from(questionHex, 'hex');
const ids = [];
const socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
socket.on('message', (reply) => ids.push(reply.readUInt16BE(0)));

socket.bind(0, () => {
  let next = 0;
  const sendGroup = () => {
    for (let i = 0; i < 50 && next < total; i++, next++) {
      const query = Buffer.from(question);
      query.writeUInt16BE(next, 0);
      socket.send(query, Number(port), host);
    }
    if (next < total) setTimeout(sendGroup, 2);
    else setImmediate(() => process.stdout.write('sent\n'));
  };
  sendGroup();
});

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'count') process.stdout.write(`${ids.length}\n`);
  if (line === 'ids') {
    process.stdout.write(`${JSON.stringify(ids)}\n`, () => process.exit(0));
  }
});
