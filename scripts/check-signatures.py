#!/usr/bin/env python3
"""Checks that rnats' headers are a drop-in for the reference nats.c headers.

For every function declared in include/nats/nats.h, the reference header must declare a
function of the same name with the same return type and parameter types (whitespace and
comments do not matter; parameter names differing is only a warning, or an error with
--strict-names). The same goes for the callback typedefs. natsStatus and natsConnStatus
must have exactly the same enumerators with the same values, and every macro our headers
share with the reference must expand to the same tokens. Every type the reference declares
(typedef names: structs, enums, opaque handles, callbacks) must be declared by ours too;
the layout of the structs and enums is checked by check-layout.py.

Both sides are run through the C preprocessor first (so comments, #if branches and
NATS_EXTERN are handled as a compiler would); only declarations that come from the
nats/ headers themselves are compared.

Usage: check-signatures.py [--ours DIR] [--ref DIR] [--strict-names] [--cc CC]
  --ours: directory holding nats/nats.h (default: include/ next to this script)
  --ref:  directory holding the reference nats/nats.h (default: /usr/include)
Exit status 0 when everything matches, 1 otherwise.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

TOKEN = re.compile(
    r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|[A-Za-z_]\w*|0[xX][0-9a-fA-F]+\w*|\d+\w*'
    r'|<<|>>|->|\.\.\.|\S'
)
# Words that may end a parameter without being its name.
TYPE_WORDS = {
    "void", "char", "short", "int", "long", "float", "double", "signed", "unsigned",
    "bool", "_Bool", "const", "volatile", "struct", "enum", "union",
}
CHECKED_ENUMS = ("natsStatus", "natsConnStatus")
# Reference types ours must all declare (typedef name prefixes).
REQUIRED_TYPE_PREFIXES = ("js", "kv")
# Reference macros ours must all define (the JetStream header names).
REQUIRED_MACRO_PREFIXES = ("JS",)
SYSTEM_INCLUDES = ("stdlib.h", "stdint.h", "stdbool.h", "inttypes.h", "stdio.h")


def preprocess(cc, include_dir, extra=()):
    """Returns the tokens of everything the nats/ headers under include_dir declare."""
    header = os.path.join(include_dir, "nats", "nats.h")
    if not os.path.exists(header):
        sys.exit(f"check-signatures: {header} not found")
    out = subprocess.run(
        [cc, "-E", "-x", "c", "-std=c11", *extra, "-I", include_dir, header],
        check=True, capture_output=True, text=True,
    ).stdout
    nats_dir = os.path.realpath(os.path.join(include_dir, "nats"))
    keep, text = False, []
    for line in out.splitlines():
        m = re.match(r'#\s*\d+\s+"([^"]*)"', line)
        if m:
            keep = os.path.dirname(os.path.realpath(m.group(1))) == nats_dir
            continue
        if keep:
            text.append(line)
    return TOKEN.findall("\n".join(text))


def strip_attributes(tokens):
    """Drops __attribute__((...)), __extension__ and extern."""
    out, i = [], 0
    while i < len(tokens):
        t = tokens[i]
        if t in ("__attribute__", "__declspec"):
            i += 1
            depth = 0
            while i < len(tokens):
                depth += tokens[i] == "("
                depth -= tokens[i] == ")"
                i += 1
                if depth == 0:
                    break
            continue
        if t not in ("__extension__", "extern"):
            out.append(t)
        i += 1
    return out


def statements(tokens):
    """Splits tokens into top-level declarations (at ';' outside braces)."""
    stmt, depth = [], 0
    for t in tokens:
        if t == ";" and depth == 0:
            if stmt:
                yield strip_attributes(stmt)
            stmt = []
            continue
        depth += t == "{"
        depth -= t == "}"
        stmt.append(t)


def split_params(tokens):
    """Splits the tokens inside a parameter list at top-level commas."""
    params, cur, depth = [], [], 0
    for t in tokens:
        if t == "," and depth == 0:
            params.append(cur)
            cur = []
            continue
        depth += t in "(["
        depth -= t in ")]"
        cur.append(t)
    if cur:
        params.append(cur)
    return params


def param_type_and_name(param):
    """('const char *', 'subject') from ['const', 'char', '*', 'subject']."""
    if len(param) >= 2 and re.match(r"[A-Za-z_]\w*$", param[-1]) and param[-1] not in TYPE_WORDS:
        return " ".join(param[:-1]), param[-1]
    # A name followed by an array suffix: char buf[]
    if "[" in param:
        i = param.index("[")
        if i >= 2 and re.match(r"[A-Za-z_]\w*$", param[i - 1]) and param[i - 1] not in TYPE_WORDS:
            # A one-dimensional array parameter is a pointer parameter (C11 6.7.6.3p7):
            # unsigned char sig[64] and unsigned char *sig declare the same function.
            if param[-1] == "]" and "[" not in param[i + 1 :]:
                return " ".join(param[: i - 1] + ["*"]), param[i - 1]
            return " ".join(param[: i - 1] + param[i:]), param[i - 1]
    return " ".join(param), ""


def matching_paren(tokens, start):
    depth = 0
    for i in range(start, len(tokens)):
        depth += tokens[i] == "("
        depth -= tokens[i] == ")"
        if depth == 0:
            return i
    raise ValueError("unbalanced parentheses in " + " ".join(tokens))


def signature(ret, params):
    parsed = [param_type_and_name(p) for p in split_params(params)]
    return " ".join(ret), [t for t, _ in parsed], [n for _, n in parsed]


def parse(tokens):
    """Returns (functions, callback typedefs, enums) declared by the tokens."""
    functions, callbacks, enums = {}, {}, {}
    for st in statements(tokens):
        if not st:
            continue
        if st[0] == "typedef":
            body = st[1:]
            if body[:1] == ["enum"] and "{" in body:
                name = body[-1]
                open_i, close_i = body.index("{"), len(body) - 1 - body[::-1].index("}")
                enums[name] = enum_values(body[open_i + 1: close_i])
                continue
            # typedef RET (*NAME)(PARAMS)
            for i in range(len(body) - 3):
                if body[i] == "(" and body[i + 1] == "*" and body[i + 3] == ")" and \
                        i + 4 < len(body) and body[i + 4] == "(":
                    end = matching_paren(body, i + 4)
                    callbacks[body[i + 2]] = signature(body[:i], body[i + 5: end])
                    break
            continue
        if "(" not in st or "{" in st or "=" in st:
            continue
        first = st.index("(")
        if first == 0 or not re.match(r"[A-Za-z_]\w*$", st[first - 1]):
            continue
        name = st[first - 1]
        end = matching_paren(st, first)
        functions[name] = signature(st[: first - 1], st[first + 1: end])
    return functions, callbacks, enums


def typedef_names(tokens):
    """Names declared by the typedefs among the tokens."""
    names = set()
    for st in statements(tokens):
        if not st or st[0] != "typedef":
            continue
        body = st[1:]
        for i in range(len(body) - 2):
            if body[i] == "(" and body[i + 1] == "*":
                names.add(body[i + 2])
                break
        else:
            if re.match(r"[A-Za-z_]\w*$", body[-1]):
                names.add(body[-1])
    return names


def enum_values(body):
    values, nxt = {}, 0
    for item in split_params(body):
        if not item:
            continue
        name = item[0]
        if len(item) > 2 and item[1] == "=":
            expr = " ".join(item[2:])
            try:
                nxt = int(eval(re.sub(r"(?<=\d)[uUlL]+", "", expr), {"__builtins__": {}}, dict(values)))
            except Exception:
                nxt = expr
        values[name] = nxt
        nxt = nxt + 1 if isinstance(nxt, int) else f"({nxt})+1"
    return values


def macros(cc, include_dir, extra=()):
    """Macros defined by the nats/ headers: -dM of nats.h minus -dM of its system includes."""
    def dm(path):
        out = subprocess.run(
            [cc, "-E", "-dM", "-x", "c", "-std=c11", *extra, "-I", include_dir, path],
            check=True, capture_output=True, text=True,
        ).stdout
        result = {}
        for line in out.splitlines():
            m = re.match(r"#define\s+([A-Za-z_]\w*(?:\([^)]*\))?)\s*(.*)", line)
            if m:
                result[m.group(1)] = " ".join(TOKEN.findall(m.group(2)))
        return result

    with tempfile.NamedTemporaryFile("w", suffix=".c", delete=False) as f:
        f.write("".join(f"#include <{h}>\n" for h in SYSTEM_INCLUDES))
        base = f.name
    try:
        system = dm(base)
    finally:
        os.unlink(base)
    everything = dm(os.path.join(include_dir, "nats", "nats.h"))
    return {k: v for k, v in everything.items() if k not in system}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ours", default=os.path.join(here, "..", "include"))
    ap.add_argument("--ref", default="/usr/include")
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    ap.add_argument("--strict-names", action="store_true")
    args = ap.parse_args()

    errors, warnings = [], []
    our_tokens, ref_tokens = preprocess(args.cc, args.ours), preprocess(args.cc, args.ref)
    our_fns, our_cbs, our_enums = parse(our_tokens)
    ref_fns, ref_cbs, ref_enums = parse(ref_tokens)

    our_types, ref_types = typedef_names(our_tokens), typedef_names(ref_tokens)
    notes = []
    for name in sorted(ref_types - our_types):
        # The JetStream / Key/Value types must all be there; the others are listed until
        # the parts of the API that use them are written.
        (errors if name.startswith(REQUIRED_TYPE_PREFIXES) else notes).append(
            f"type {name}: declared by the reference header, not by ours")

    def compare(kind, name, ours, ref):
        if ref is None:
            errors.append(f"{kind} {name}: not declared by the reference header")
            return
        (oret, otypes, onames), (rret, rtypes, rnames) = ours, ref
        if oret != rret or otypes != rtypes:
            errors.append(
                f"{kind} {name}: prototype differs\n"
                f"    ours:      {oret} {name}({', '.join(otypes)})\n"
                f"    reference: {rret} {name}({', '.join(rtypes)})"
            )
        elif onames != rnames:
            (errors if args.strict_names else warnings).append(
                f"{kind} {name}: parameter names differ: ours {onames}, reference {rnames}"
            )

    for name, sig in our_fns.items():
        compare("function", name, sig, ref_fns.get(name))
    for name, sig in our_cbs.items():
        compare("callback typedef", name, sig, ref_cbs.get(name))

    for enum in CHECKED_ENUMS + tuple(n for n in ref_enums if n not in CHECKED_ENUMS):
        ours, ref = our_enums.get(enum), ref_enums.get(enum)
        if ours is None or ref is None:
            errors.append(f"enum {enum}: missing from {'our' if ours is None else 'the reference'} headers")
        elif ours != ref:
            for k in sorted(set(ours) | set(ref), key=lambda k: (ref.get(k, ours.get(k)), k)):
                if ours.get(k) != ref.get(k):
                    errors.append(f"enum {enum}: {k} is {ours.get(k, 'missing')} here, "
                                  f"{ref.get(k, 'missing')} in the reference")

    reported = set()
    for variant in ((), ("-DNATS_CONN_STATUS_NO_PREFIX",)):
        our_macros, ref_macros = macros(args.cc, args.ours, variant), macros(args.cc, args.ref, variant)
        for name in sorted(ref_macros):
            if name.startswith(REQUIRED_MACRO_PREFIXES) and name not in our_macros and name not in reported:
                reported.add(name)
                errors.append(f"macro {name}: defined by the reference header, not by ours")
        for name, value in sorted(our_macros.items()):
            if name in ref_macros and ref_macros[name] != value and name not in reported:
                reported.add(name)
                errors.append(f"macro {name}: expands to '{value}', the reference to '{ref_macros[name]}'"
                              + (f" (with {variant[0]})" if variant else ""))
    # NO_PREFIX names are enumerators in the reference and macros here: compare values.
    no_prefix = ("DISCONNECTED", "CONNECTING", "CONNECTED", "CLOSED", "RECONNECTING",
                 "DRAINING_SUBS", "DRAINING_PUBS")
    our_np = macros(args.cc, args.ours, ("-DNATS_CONN_STATUS_NO_PREFIX",))
    _, _, ref_np_enums = parse(preprocess(args.cc, args.ref, ("-DNATS_CONN_STATUS_NO_PREFIX",)))
    conn = our_enums.get("natsConnStatus", {})
    for n in no_prefix:
        ours = conn.get(our_np.get(n, ""), "missing")
        ref = ref_np_enums.get("natsConnStatus", {}).get(n, "missing")
        if ours != ref:
            errors.append(f"NATS_CONN_STATUS_NO_PREFIX: {n} is {ours} here, {ref} in the reference")

    for n in notes:
        print("note: " + n)
    for w in warnings:
        print("warning: " + w)
    for e in errors:
        print("error: " + e)
    print(f"check-signatures: {len(our_fns)} functions and {len(our_cbs)} callback typedefs compared "
          f"({len(set(our_fns) & set(ref_fns))} of {len(ref_fns)} reference functions declared), "
          f"{len(errors)} error(s), {len(warnings)} warning(s)")
    print(f"check-signatures: {len(set(our_fns) & set(ref_fns))} of {len(ref_fns)} nats.c functions declared, "
          f"{len(our_types & ref_types)} of {len(ref_types)} nats.c types")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
