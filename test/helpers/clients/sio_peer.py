"""A python-socketio 5.x relay peer driven by the tests (run with /usr/bin/python3).

usage: sio_peer.py URL ROLE MONITOR_ID TRANSPORT [COUNT] [TOKEN]
  ROLE monitor: registers with `con`, answers every `command do` with `command done {id}`,
                except commands starting with "hang" (left unfinished) and "fail" (answered
                `command error {id, reason: "refused by the monitor"}`).
  ROLE user:    `query`, then COUNT `command send` one after another, each awaited to its end.
  TRANSPORT: default | websocket | polling
Every event received is printed as one JSON line on stdout: {"event": ..., "data": ...}; also
"connect_error" (the refusal's payload), "connect failed", "disconnected".
"""
import json
import sys
import threading

import socketio

url, role, monitor_id, transport = sys.argv[1:5]
count = int(sys.argv[5]) if len(sys.argv) > 5 else 0
token = sys.argv[6] if len(sys.argv) > 6 else None
transports = None if transport == "default" else [transport]

sio = socketio.Client(reconnection=False)
lock = threading.Lock()
finished = threading.Event()
done_ids = []


def out(event, data=None):
    with lock:
        sys.stdout.write(json.dumps({"event": event, "data": data}) + "\n")
        sys.stdout.flush()


@sio.on("*")
def any_event(event, data=None):
    out(event, data)
    if role == "monitor" and event == "command do" and data["command"].startswith("fail"):
        sio.emit("command error", {"id": data["id"], "reason": "refused by the monitor"})
    elif role == "monitor" and event == "command do" and not data["command"].startswith("hang"):
        sio.emit("command done", {"id": data["id"]})
    if role == "user" and event in ("command finish", "command failed"):
        done_ids.append(data.get("id"))
        if len(done_ids) >= count:
            finished.set()


@sio.event
def connect_error(data=None):
    out("connect_error", data)


@sio.event
def disconnect():
    out("disconnected", True)


try:
    sio.connect(url, transports=transports, auth={"token": token} if token else None)
except socketio.exceptions.ConnectionError as err:
    out("connect failed", str(err))
    sys.exit(0)
out("connected", sio.transport())
if role == "monitor":
    sio.emit("con", {"monitor_id": monitor_id})
    sio.wait()
else:
    ack = sio.call("query", {"monitor_id": monitor_id}, timeout=5)
    out("query ack", ack)
    if ack.get("reason") != "ok":
        sio.wait()  # query failed: the server disconnects us
        sys.exit(0)
    for i in range(count):
        sio.emit("command send", {"command": "py %d" % i})
    finished.wait(timeout=20)
    out("summary", {"finished": len(done_ids)})
    sio.disconnect()
