#!/usr/bin/env python3
"""Checks that the public structs and enums of our headers have nats.c 3.4.1's binary layout.

The struct and enum definitions are read from the reference header (after the C
preprocessor). For every struct whose name starts with "js", "kv" or "natsMsgList" (nested
struct definitions included, by their tag) and for every enum, a C program is generated that
prints the size and alignment of the type, the offset and size of each member, and the value
of each enumerator. It is compiled once against our include/ and once against the reference,
and the two outputs must be identical: a missing type, member or enumerator is a difference.

The members' declared types are compared too, as text ("struct" keywords and whitespace
aside): an int64_t where nats.c has a uint64_t has the same layout but not the same meaning.
Opaque handles (typedef struct __x x;) must exist as types in our header.

Usage: check-layout.py [--ours DIR] [--ref DIR] [--cc CC] [-v]
Exit status 0 when everything matches, 1 otherwise.
"""

import argparse
import importlib.util
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("check_signatures", os.path.join(HERE, "check-signatures.py"))
sig = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sig)

STRUCT_PREFIXES = ("js", "kv", "natsMsgList")
IDENT = re.compile(r"[A-Za-z_]\w*$")


def split_members(tokens):
    """Splits a struct body into member declarations (at ';' outside braces)."""
    members, cur, depth = [], [], 0
    for t in tokens:
        if t == ";" and depth == 0:
            if cur:
                members.append(cur)
            cur = []
            continue
        depth += t == "{"
        depth -= t == "}"
        cur.append(t)
    return members


def parse_struct_body(tokens, structs, where):
    """Returns [(member, type text)] of a struct body; nested tagged structs go to `structs`."""
    fields = []
    for m in split_members(tokens):
        if m[0] == "struct" and "{" in m:
            # struct TAG { ... } NAME
            open_i = m.index("{")
            close_i = len(m) - 1 - m[::-1].index("}")
            tag = m[1] if open_i == 2 else None
            inner = parse_struct_body(m[open_i + 1: close_i], structs, where)
            if tag:
                structs[tag] = {"fields": inner, "tagged": True}
            name = m[close_i + 1]
            fields.append((name, tag or "<anonymous struct>"))
            continue
        if "(" in m:
            # A function pointer member: RET (*NAME)(PARAMS)
            i = m.index("(")
            name = m[i + 2]
            fields.append((name, " ".join(x for x in m if x != name)))
            continue
        name = m[-1]
        if "[" in m:
            name = m[m.index("[") - 1]
        if not IDENT.match(name):
            sys.exit(f"check-layout: cannot parse member {' '.join(m)} in {where}")
        fields.append((name, normalise(x for x in m if x != name)))
    return fields


def normalise(type_tokens):
    return " ".join(t for t in type_tokens if t != "struct")


def parse(tokens):
    """Returns (structs, enums, opaque type names) defined by the tokens."""
    structs, enums, opaque, typedefs = {}, {}, set(), set()
    for st in sig.statements(tokens):
        if not st or st[0] != "typedef":
            continue
        body = st[1:]
        if body[0] == "struct" and "{" in body:
            open_i = body.index("{")
            close_i = len(body) - 1 - body[::-1].index("}")
            name = body[-1]
            tag = body[1] if open_i == 2 else None
            fields = parse_struct_body(body[open_i + 1: close_i], structs, name)
            structs[name] = {"fields": fields, "tagged": False, "tag": tag}
            typedefs.add(name)
        elif body[0] == "enum" and "{" in body:
            name = body[-1]
            open_i = body.index("{")
            close_i = len(body) - 1 - body[::-1].index("}")
            enums[name] = [item[0] for item in sig.split_params(body[open_i + 1: close_i]) if item]
            typedefs.add(name)
        elif body[0] == "struct" and len(body) == 3:
            opaque.add(body[2])
            typedefs.add(body[2])
        elif IDENT.match(body[-1]):
            typedefs.add(body[-1])
        else:
            # A function pointer typedef: RET (*NAME)(...)
            for i in range(len(body) - 2):
                if body[i] == "(" and body[i + 1] == "*":
                    typedefs.add(body[i + 2])
                    break
    return structs, enums, opaque, typedefs


def program(structs, enums):
    """C source printing the layout facts of the given structs and enums."""
    lines = [
        "#include <stddef.h>",
        "#include <stdio.h>",
        "#include <nats/nats.h>",
        "#define T(t) printf(\"type %s size %zu align %zu\\n\", #t, sizeof(t), _Alignof(t));",
        "#define F(t, f) printf(\"field %s.%s offset %zu size %zu\\n\", #t, #f, offsetof(t, f), sizeof(((t *)0)->f));",
        "#define E(e) printf(\"enumerator %s %lld\\n\", #e, (long long)(e));",
        "int main(void)",
        "{",
    ]
    for name, s in structs.items():
        ctype = f"struct {name}" if s["tagged"] else name
        lines.append(f"    T({ctype})")
        for field, _ in s["fields"]:
            if field in s.get("common", [field]):
                lines.append(f"    F({ctype}, {field})")
    for name, values in enums.items():
        lines.append(f"    T({name})")
        for v in values:
            lines.append(f"    E({v})")
    lines += ["    return 0;", "}"]
    return "\n".join(lines) + "\n"


def run(cc, include_dir, source, tmp, tag):
    src = os.path.join(tmp, f"layout_{tag}.c")
    exe = os.path.join(tmp, f"layout_{tag}")
    with open(src, "w") as f:
        f.write(source)
    r = subprocess.run([cc, "-std=c11", "-w", "-I", include_dir, "-o", exe, src],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr
    out = subprocess.run([exe], check=True, capture_output=True, text=True).stdout
    facts = {}
    for line in out.splitlines():
        words = line.split()
        facts[" ".join(words[:2])] = " ".join(words[2:])
    return facts, ""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ours", default=os.path.join(HERE, "..", "include"))
    ap.add_argument("--ref", default="/usr/include")
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    ref_structs, ref_enums, ref_opaque, _ = parse(sig.preprocess(args.cc, args.ref))
    our_structs, our_enums, _, our_typedefs = parse(sig.preprocess(args.cc, args.ours))
    structs = {n: s for n, s in ref_structs.items() if n.startswith(STRUCT_PREFIXES)}
    errors = []

    # Types missing from our header make the generated program fail to compile: report
    # them by name and leave them out of the program, so the rest is still compared.
    for n in list(structs):
        if n not in our_structs:
            errors.append(f"struct {n}: not defined by our header")
            del structs[n]
    enums = {}
    for n, values in ref_enums.items():
        if n not in our_enums:
            errors.append(f"enum {n}: not defined by our header")
            continue
        missing = [v for v in values if v not in our_enums[n]]
        for v in missing:
            errors.append(f"enum {n}: enumerator {v} not defined by our header")
        extra = [v for v in our_enums[n] if v not in values]
        for v in extra:
            errors.append(f"enum {n}: enumerator {v} is not in the reference")
        enums[n] = [v for v in values if v not in missing]
    for n in sorted(ref_opaque):
        if n.startswith(STRUCT_PREFIXES) and n not in our_typedefs:
            errors.append(f"opaque type {n}: not declared by our header")

    # Member names and declared types, as text.
    for n, s in structs.items():
        ours = our_structs[n]["fields"]
        if [f for f, _ in ours] != [f for f, _ in s["fields"]]:
            errors.append(f"struct {n}: members differ\n    ours:      {[f for f, _ in ours]}\n"
                          f"    reference: {[f for f, _ in s['fields']]}")
            # Compare the layout of the members both have (the others count as missing).
            s["common"] = [f for f, _ in ours]
            continue
        for (f, ot), (_, rt) in zip(ours, s["fields"]):
            if ot != rt:
                errors.append(f"struct {n}: member {f} is declared '{ot}' here, '{rt}' in the reference")
        if s.get("tag") and our_structs[n].get("tag") != s["tag"]:
            errors.append(f"struct {n}: tag is '{our_structs[n].get('tag')}' here, '{s['tag']}' in the reference")

    source = program(structs, enums)
    with tempfile.TemporaryDirectory() as tmp:
        ref_facts, err = run(args.cc, args.ref, source, tmp, "ref")
        if ref_facts is None:
            sys.exit(f"check-layout: the program does not compile against the reference:\n{err}")
        our_facts, err = run(args.cc, args.ours, source, tmp, "ours")
        if our_facts is None:
            errors.append(f"the layout program does not compile against our header:\n{err}")
            our_facts = {}
    for key, value in ref_facts.items():
        if our_facts.get(key) != value:
            errors.append(f"{key}: {our_facts.get(key, 'missing')} here, {value} in the reference")
        elif args.verbose:
            print(f"ok {key} {value}")

    for e in errors:
        print("error: " + e)
    n_fields = sum(len(s["fields"]) for s in structs.values())
    n_enumerators = sum(len(v) for v in enums.values())
    print(f"check-layout: {len(structs)} structs ({n_fields} members), {len(enums)} enums "
          f"({n_enumerators} enumerators), {len(ref_facts)} facts compared, {len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
