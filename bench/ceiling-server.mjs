// The ceiling: a Node UDP responder that does no DNS at all (it echoes each query back as a
// response). What it reaches is what node:dgram allows on this machine; no DNS server in Node can
// do better.
import { createSocket } from 'node:dgram';

const [, portText] = process.argv.slice(2);
const socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
socket.on('message', (query, client) => {
  const reply = Buffer.allocUnsafe(query.length);
  query.copy(reply);
  reply[2] |= 0x80;
  socket.send(reply, client.port, client.address);
});
socket.bind(Number(portText), '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => socket.close(() => process.exit(0)));
