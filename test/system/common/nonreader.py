# A WebSocket client that stops reading: it upgrades, sends the text frames given as a JSON list
# in argv[3], says "ready", and reads nothing more until a line arrives on stdin. Then it reads
# what the server left in the socket and prints {"frames": n, "close": code|null, "reset": bool}.
import base64, json, os, socket, struct, sys

port, path, frames = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window: backpressure builds at once
s.connect(("127.0.0.1", port))
key = base64.b64encode(os.urandom(16)).decode()
s.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
buf = b""
while b"\r\n\r\n" not in buf:
    buf += s.recv(4096)
head, buf = buf.split(b"\r\n\r\n", 1)
assert head.startswith(b"HTTP/1.1 101"), head

def frame(text):
    data, mask = text.encode(), os.urandom(4)
    n = len(data)
    hdr = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n))
    return hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))

for f in frames:
    s.sendall(frame(f))
print("ready", flush=True)
sys.stdin.readline()

reset = False
s.settimeout(5)
try:
    while True:
        chunk = s.recv(1 << 16)
        if not chunk:
            break
        buf += chunk
except (ConnectionResetError, socket.timeout):
    reset = True
count, close, i = 0, None, 0
while i + 2 <= len(buf):
    op, ln = buf[i] & 0x0F, buf[i + 1] & 0x7F
    j = i + 2
    if ln == 126:
        ln, j = struct.unpack(">H", buf[j:j + 2])[0], j + 2
    elif ln == 127:
        ln, j = struct.unpack(">Q", buf[j:j + 8])[0], j + 8
    if j + ln > len(buf):
        break
    if op == 8:
        close = struct.unpack(">H", buf[j:j + 2])[0] if ln >= 2 else 1005
    elif op in (1, 2):
        count += 1
    i = j + ln
print(json.dumps({"frames": count, "close": close, "reset": reset}), flush=True)
