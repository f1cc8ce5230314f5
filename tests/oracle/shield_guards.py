"""The guards saferl_shield.h writes over more than 16 propositions, checked against the monitor.

Above 16 propositions the HOA and DOT writers factor each guard along the automaton's decision
diagram (cuts into A & B and A | B, Shannon splits), code no other check reads edge by edge.
Seeded formulas over 17-22 propositions go through build/oracle/shield_guards (the helper,
tests/oracle/shield_guards.c), which prints the complete HOA and the DOT text and, per state,
sampled labels with the successor saferl_shield_monitor_step gives. Here the texts are parsed
and their guards evaluated by the definitions of the formats (HOA v1 label expressions over AP
numbers; the DOT labels over proposition names), written below and sharing nothing with the
header: for every sampled (state, label) exactly one edge of the state must hold, and it must
lead to the monitor's successor. The helper also reads the HOA back with our reader and checks
equivalence (the fuzz targets do this too; it is not independent, so it comes second).

Material: conjunctions of rules over random subsets of the propositions (shield_random's
safety formulas over 2-5 of them, and pairs !(x & y), the shape whose 2^pairs cubes factoring
avoids), and shield_liveness's widened formulas (each narrow proposition a cube of wide ones).
usage: shield_guards.py path/to/shield_guards COUNT [SEED]"""
import os, random, re, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shield_random  # noqa: E402
import shield_liveness  # noqa: E402

HOA_TOKEN = re.compile(r"\d+|[tf!&|()]")
DOT_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[!&|()]")

def tokens_of(text, token):
    tokens = token.findall(text)
    if "".join(tokens) != "".join(text.split()):
        raise ValueError("cannot read guard %r" % text)
    return tokens

def evaluate(tokens, value, conjoin, disjoin, negate):
    """A guard read by the formats' grammar, ! binding tightest, then &, then |: value(atom)
    gives an atom's meaning, the three functions combine meanings (bit sets here, diagrams in
    shield_guard_size.py)."""
    at = [0]
    def take():
        at[0] += 1
        return tokens[at[0] - 1]
    def peek():
        return tokens[at[0]] if at[0] < len(tokens) else None
    def disjunction():
        v = conjunction()
        while peek() == "|":
            take()
            v = disjoin(v, conjunction())
        return v
    def conjunction():
        v = negation()
        while peek() == "&":
            take()
            v = conjoin(v, negation())
        return v
    def negation():
        t = take()
        if t == "!":
            return negate(negation())
        if t == "(":
            v = disjunction()
            if take() != ")":
                raise ValueError("unbalanced guard")
            return v
        return value(t)
    v = disjunction()
    if at[0] != len(tokens):
        raise ValueError("guard continues after its end")
    return v

def parse_hoa(text, record):
    """State -> [(guard tokens, target)], after checking the header against the helper's record
    (the HOA numbers states as the automaton does)."""
    head, body = text.split("--BODY--")
    aps = re.search(r"AP: (\d+)(.*)", head)
    if int(re.search(r"States: (\d+)", head).group(1)) != record["states"]:
        raise ValueError("States: differs from the automaton's")
    if int(re.search(r"Start: (\d+)", head).group(1)) != record["initial"]:
        raise ValueError("Start: differs from the automaton's")
    if int(aps.group(1)) != len(record["names"]) or aps.group(2).split('"')[1::2] != record["names"]:
        raise ValueError("AP: differs from the automaton's propositions")
    edges, state = {}, None
    for line in body.splitlines():
        m = re.match(r"State: (\d+)", line)
        if m:
            state = int(m.group(1))
            edges[state] = []
            continue
        m = re.match(r"\[(.*)\] (\d+)$", line)
        if m:
            edges[state].append((tokens_of(m.group(1), HOA_TOKEN), int(m.group(2))))
    return edges

def parse_dot(text):
    edges = {}
    for m in re.finditer(r'^\s*q(\d+) -> q(\d+) \[label="([^"]*)"', text, re.M):
        edges.setdefault(int(m.group(1)), []).append((tokens_of(m.group(3), DOT_TOKEN), int(m.group(2))))
    return edges

def read_records(out):
    """The helper's output, one dict per formula (see shield_guards.c for the layout)."""
    records, pos = [], 0
    def line():
        nonlocal pos
        end = out.index("\n", pos)
        text, pos = out[pos:end], end + 1
        return text.split()
    def block(word):
        nonlocal pos
        head = line()
        assert head[0] == word, head
        text, pos = out[pos:pos + int(head[1])], pos + int(head[1]) + 1
        return text
    while pos < len(out):
        head = line()
        if head[0] in ("refused", "narrow"):
            records.append({head[0]: " ".join(head[2:])})
            continue
        record = {"states": int(head[3]), "props": int(head[5]), "initial": int(head[7]),
                  "bits": [int(x) for x in line()[1:]], "names": line()[1:], "readback": int(line()[1])}
        record["hoa"] = block("hoa")
        record["dot"] = block("dot")
        record["samples"] = [tuple(int(x) for x in line()) for _ in range(int(line()[1]))]
        records.append(record)
    return records

def check(record):
    """Failures of one automaton's HOA and DOT guards on the sampled labels: per state, each
    guard evaluated once over all the state's samples as bit sets."""
    failures = []
    texts = (("HOA", parse_hoa(record["hoa"], record)), ("DOT", parse_dot(record["dot"])))
    by_state = {}
    for q, label, successor in record["samples"]:
        by_state.setdefault(q, []).append((label, successor))
    for q, samples in sorted(by_state.items()):
        full = (1 << len(samples)) - 1
        holds = [sum(1 << s for s, (label, _) in enumerate(samples) if label >> bit & 1) for bit in record["bits"]]
        going = {}
        for s, (_, successor) in enumerate(samples):
            going[successor] = going.get(successor, 0) | 1 << s
        values = ({"t": full, "f": 0}, {"true": full, "false": 0})
        for j, name in enumerate(record["names"]):
            values[0][str(j)] = values[1][name] = holds[j]
        for (what, edges), value in zip(texts, values):
            covered = 0
            for tokens, target in edges.get(q, []):
                g = evaluate(tokens, value.__getitem__, int.__and__, int.__or__, lambda x: full & ~x)
                overlap, astray = g & covered, g & ~going.get(target, 0)
                covered |= g
                if overlap | astray:
                    s = ((overlap | astray) & -(overlap | astray)).bit_length() - 1
                    failures.append("%s state %d, label %#x: the edge to %d holds%s, the monitor goes to %d"
                                    % (what, q, samples[s][0], target, " with another" if overlap >> s & 1 else "",
                                       samples[s][1]))
            if covered != full:
                s = ((full & ~covered) & -(full & ~covered)).bit_length() - 1
                failures.append("%s state %d, label %#x: no edge holds" % (what, q, samples[s][0]))
    if record["readback"] != 1:
        failures.append("our reader does not give back an equivalent automaton")
    return failures

def rules(rng, names):
    """A conjunction of rules over random subsets of the names; every name used."""
    names = list(names)
    rng.shuffle(names)
    parts, at = [], 0
    while at < len(names):
        take = names[at:at + rng.randint(2, 5)]
        at += len(take)
        if rng.random() < 0.4 and len(take) >= 2:
            pairs = ["!(%s & %s)" % (take[i], take[i + 1]) for i in range(0, len(take) - 1, 2)]
            parts.append("G(%s)" % " & ".join(pairs))
            if len(take) % 2:
                parts.append("G(%s | X %s)" % (take[-1], take[0]))
        else:
            parts.append("(%s)" % shield_random.safety(rng, take, rng.randint(3, 6)))
    return " & ".join(parts)

def formula(rng):
    """About half rules over 17-22 names, half widened random formulas over 2-4 narrow ones;
    names the formula left out are joined as one more rule, so every one has 17-22."""
    names = ["p%d" % j for j in range(rng.randint(17, 22))]
    if rng.random() < 0.5:
        text = rules(rng, names)
    else:
        narrow = ["p%d" % j for j in range(rng.randint(2, 4))]
        text, _ = shield_liveness.widen(rng, shield_random.safety(rng, narrow, rng.randint(4, 10)), narrow,
                                        len(names))
    missing = sorted(set(names) - set(re.findall(r"\bp\d+\b", text)))
    return text if not missing else "(%s) & %s" % (text, rules(rng, missing) if len(missing) > 1
                                                     else "G(%s | X %s)" % (missing[0], names[0]))

def main():
    helper, count = sys.argv[1], int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 20261205
    rng = random.Random(seed)
    started = time.time()
    formulas = [formula(rng) for _ in range(count)]
    run = subprocess.run([helper, str(seed)], input="\n".join(formulas) + "\n", capture_output=True, text=True)
    if run.returncode != 0:
        print("FAIL: %s ended with status %d on these formulas: %s" % (helper, run.returncode, run.stderr.strip()))
        return 1
    records = read_records(run.stdout)
    assert len(records) == count, (len(records), count)
    failed = wide = samples = size = 0
    for text, record in zip(formulas, records):
        if "refused" in record or "narrow" in record:
            continue
        wide += 1
        samples += len(record["samples"])
        size += len(record["hoa"]) + len(record["dot"])
        try:
            failures = check(record)
        except (ValueError, IndexError) as e:
            failures = ["cannot read the text: %s" % e]
        if failures:
            failed += 1
            print("FAIL %s (%d states, %d propositions):\n  %s" % (text, record["states"], record["props"],
                                                                   "\n  ".join(failures[:3])))
    refused = sum("refused" in r for r in records)
    print("wide guards (seed %d): %d formulas, %d compiled over 17-22 propositions, %d narrower after "
          "simplification, %d refused; %d sampled (state, label) pairs against HOA and DOT (%d KB of "
          "text); %d failed, %.1f s" % (seed, count, wide, count - wide - refused, refused, samples,
                                        size // 1024, failed, time.time() - started))
    if wide < count // 2:
        print("FAIL: fewer than half the formulas reached the writers over 16 propositions")
        return 1
    return 1 if failed else 0

if __name__ == "__main__":
    sys.exit(main())
