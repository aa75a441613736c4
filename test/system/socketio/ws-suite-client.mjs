// Run with Node (not Bun): the published Socket.IO protocol test suite's cases as its plain
// variant runs them, on the real "ws" package and Node's fetch. Its waitFor registers a
// once-listener per frame, and ws (8.17+) delivers every frame of one TCP read in the same tick,
// so a server that writes two frames together makes the suite miss the second one.
// usage: node ws-suite-client.mjs BASE_HTTP_URL   (prints one JSON line per case, exits 0)
import { WebSocket } from "ws";

const URL = process.argv[2];
const WS_URL = URL.replace("http", "ws");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const waitFor = (socket, type) => new Promise((r) => socket.addEventListener(type, r, { once: true }));
const waitForPackets = (socket, count) =>
  new Promise((resolve) => {
    const packets = [];
    const handler = (event) => {
      if (event.data === "2") return;
      packets.push(event.data);
      if (packets.length === count) {
        socket.removeEventListener("message", handler);
        resolve(packets);
      }
    };
    socket.addEventListener("message", handler);
  });
const open = (q = "EIO=4&transport=websocket") => {
  const s = new WebSocket(`${WS_URL}/socket.io/?${q}`);
  s.binaryType = "arraybuffer";
  return s;
};
const eq = (got, want) => {
  if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
};
async function initSocketIOConnection() {
  const socket = open();
  await waitFor(socket, "message");
  socket.send("40");
  await waitFor(socket, "message");
  await waitFor(socket, "message");
  return socket;
}
async function initLongPollingSession() {
  const text = await (await fetch(`${URL}/socket.io/?EIO=4&transport=polling`)).text();
  return JSON.parse(text.substring(1)).sid;
}

const cases = {
  "main namespace: CONNECT then auth": async () => {
    const socket = open();
    await waitFor(socket, "message");
    socket.send("40");
    const { data } = await waitFor(socket, "message");
    eq(Object.keys(JSON.parse(data.substring(2))), ["sid"]);
    eq((await waitFor(socket, "message")).data, '42["auth",{}]');
    socket.close();
  },
  "custom namespace with a payload: CONNECT then auth": async () => {
    const socket = open();
    await waitFor(socket, "message");
    socket.send('40/custom,{"token":"abc"}');
    eq((await waitFor(socket, "message")).data.substring(0, 10), "40/custom,");
    eq((await waitFor(socket, "message")).data, '42/custom,["auth",{"token":"abc"}]');
    socket.close();
  },
  "41 on the main namespace, then a ping": async () => {
    const socket = await initSocketIOConnection();
    socket.send("41");
    eq((await waitFor(socket, "message")).data, "2");
    socket.close();
  },
  "connect then disconnect /custom": async () => {
    const socket = await initSocketIOConnection();
    await waitFor(socket, "message"); // ping
    socket.send("40/custom");
    await waitFor(socket, "message");
    await waitFor(socket, "message");
    socket.send("41/custom");
    socket.send('42["message","message to main namespace"]');
    eq((await waitFor(socket, "message")).data, '42["message-back","message to main namespace"]');
    socket.close();
  },
  "plain-text event with an ack": async () => {
    const socket = await initSocketIOConnection();
    socket.send('42456["message-with-ack",1,"2",{"3":[false]}]');
    eq((await waitFor(socket, "message")).data, '43456[1,"2",{"3":[false]}]');
    socket.close();
  },
  "binary attachments": async () => {
    const socket = await initSocketIOConnection();
    socket.send('452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    socket.send(Uint8Array.from([1, 2, 3]));
    socket.send(Uint8Array.from([4, 5, 6]));
    const packets = await waitForPackets(socket, 3);
    eq([packets[0], [...new Uint8Array(packets[1])], [...new Uint8Array(packets[2])]], [
      '452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
      [1, 2, 3],
      [4, 5, 6],
    ]);
    socket.close();
  },
  "websocket ping/pong": async () => {
    const socket = open();
    await waitFor(socket, "message");
    for (let i = 0; i < 3; i++) {
      eq((await waitFor(socket, "message")).data, "2");
      socket.send("3");
    }
    socket.close();
  },
  "a second WebSocket after the upgrade closes (no error listener)": async () => {
    const sid = await initLongPollingSession();
    const socket = open(`EIO=4&transport=websocket&sid=${sid}`);
    await waitFor(socket, "open");
    socket.send("2probe");
    socket.send("5");
    const socket2 = open(`EIO=4&transport=websocket&sid=${sid}`);
    await waitFor(socket2, "close");
    socket.close();
  },
};

let unhandled = null;
process.on("uncaughtException", (err) => (unhandled = err));
for (const [name, run] of Object.entries(cases)) {
  unhandled = null;
  const result = await Promise.race([run().then(() => "ok", (e) => e.message), sleep(2000).then(() => "timeout (2 s, mocha's default)")]);
  console.log(JSON.stringify({ name, result: unhandled ? `uncaught: ${unhandled.message}` : result }));
}
process.exit(0);
