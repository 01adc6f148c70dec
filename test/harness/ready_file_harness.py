#!/usr/bin/env python3
"""A harness in another language, as a Python test suite would drive cluster-dns: start the CLI on
port 0 with --ready-file, wait for the file, ask the announced port with a raw UDP socket, check
/ready over HTTP, stop it with SIGINT. Prints one JSON object with what it saw (the vitest test
test/e2e/python-harness.test.ts asserts it). Standard library only."""
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request


def query(name, qtype=1):
    """A DNS query (RFC 1035 4.1): header with RD, one question, class IN."""
    header = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
    qname = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"
    return header + qname + struct.pack(">HH", qtype, 1)


def skip_name(packet, offset):
    while True:
        length = packet[offset]
        if length == 0:
            return offset + 1
        if length & 0xC0 == 0xC0:  # a compression pointer ends the name (RFC 1035 4.1.4)
            return offset + 2
        offset += 1 + length


def a_records(packet):
    """The rcode and the A records of the answer section."""
    _, flags, qdcount, ancount, _, _ = struct.unpack(">HHHHHH", packet[:12])
    offset = 12
    for _ in range(qdcount):
        offset = skip_name(packet, offset) + 4
    addresses = []
    for _ in range(ancount):
        offset = skip_name(packet, offset)
        rtype, _, _, length = struct.unpack(">HHIH", packet[offset:offset + 10])
        offset += 10
        if rtype == 1:
            addresses.append(socket.inet_ntoa(packet[offset:offset + length]))
        offset += length
    return flags & 0xF, addresses


def main():
    cli = sys.argv[1]
    zones = sys.argv[2]
    workdir = tempfile.mkdtemp(prefix="cluster-dns-harness-")
    ready_file = os.path.join(workdir, "ready.json")
    # stderr goes to a pipe this harness never reads, as many do.
    server = subprocess.Popen(
        ["node", cli, "--host", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0", "--upstream", "none",
         "--zones", zones, "--ready-file", ready_file, "--log-queries"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen = {}
    try:
        while not os.path.exists(ready_file):
            if server.poll() is not None:
                raise SystemExit("cluster-dns exited before it was ready: %s" % server.stderr.read().decode())
            time.sleep(0.02)
        with open(ready_file) as f:
            announced = json.load(f)
        seen["keys"] = sorted(announced)
        seen["pid_matches"] = announced["pid"] == server.pid
        seen["http_is_loopback"] = announced["http"]["address"] == "127.0.0.1"

        dns = (announced["dns"]["address"], announced["dns"]["port"])
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.settimeout(30)
        answers = []
        for name in ["web.shop.svc.cluster.local", "nothing.shop.svc.cluster.local"]:
            sock.sendto(query(name), dns)
            packet, _ = sock.recvfrom(4096)
            rcode, addresses = a_records(packet)
            answers.append({"name": name, "rcode": rcode, "a": addresses})
        sock.close()
        seen["answers"] = answers

        http = "http://%s:%d" % (announced["http"]["address"], announced["http"]["port"])
        with urllib.request.urlopen(http + "/ready", timeout=30) as response:
            seen["ready_status"] = response.status
    finally:
        server.send_signal(signal.SIGINT)
        seen["exit_code"] = server.wait(timeout=60)
        seen["ready_file_removed"] = not os.path.exists(ready_file)
        os.rmdir(workdir) if not os.listdir(workdir) else None
    print(json.dumps(seen, sort_keys=True))


if __name__ == "__main__":
    main()
