"""The server alone: writes N `tools/call` of `sleep_tool(MS)` at once to
`agent mcp-serve` on its stdin, reads the N answers, prints the wall per round.

python3 mcp_serve_fanout.py AGENT PLUGIN N MS [ROUNDS] (docs/BENCHMARKS.md)."""
import json, subprocess, sys, time
agent, plugin, n, ms = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rounds = int(sys.argv[5]) if len(sys.argv) > 5 else 5
prefix = sys.argv[6:]  # a wrapper, e.g. perf stat -o FILE --
p = subprocess.Popen(prefix + [agent, "mcp-serve", "--max-concurrency", "0", "--plugin", plugin],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
def send(m): p.stdin.write((json.dumps(m) + "\n").encode())
send({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
p.stdin.flush(); p.stdout.readline()
send({"jsonrpc": "2.0", "method": "notifications/initialized"}); p.stdin.flush()
walls = []
nid = 1
for r in range(rounds):
    body = b"".join((json.dumps({"jsonrpc": "2.0", "id": nid + i, "method": "tools/call", "params": {"name": "sleep_tool", "arguments": {"ms": ms}}}) + "\n").encode() for i in range(n))
    nid += n
    t = time.perf_counter()
    p.stdin.write(body); p.stdin.flush()
    for i in range(n):
        line = p.stdout.readline()
        assert b'"isError":false' in line, line
    walls.append((time.perf_counter() - t) * 1000)
p.stdin.close(); p.wait()
walls.sort()
print("walls ms:", " ".join(f"{w:.1f}" for w in walls), "median", f"{walls[len(walls)//2]:.1f}")
