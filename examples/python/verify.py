#!/usr/bin/env python3
"""Calls factcheck from Python: verifies a claim, or checks a paragraph, and
prints each citation's sentence as cut from its stored article by the
citation's offsets (UTF-8 byte offsets: slice the encoded text, then decode).

    python3 -m pip install -r examples/python/requirements.txt
    python3 examples/python/verify.py --addr 127.0.0.1:50051 "CLAIM"
    python3 examples/python/verify.py --addr 127.0.0.1:50051 --text "PARAGRAPH"

The stubs are generated from proto/ on the first run (into examples/python/.stubs).
TLS: --tls-ca CA.pem (and --tls-cert/--tls-key for mTLS).
"""
import argparse
import os
import sys

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO = os.path.join(HERE, "..", "..", "proto")
STUBS = os.path.join(HERE, ".stubs")


def stubs():
    """The generated modules, made from proto/ when missing or older than it."""
    source = os.path.join(PROTO, "factcheck", "v1", "fact_check.proto")
    made = os.path.join(STUBS, "factcheck", "v1", "fact_check_pb2_grpc.py")
    if not os.path.exists(made) or os.path.getmtime(made) < os.path.getmtime(source):
        import grpc_tools
        from grpc_tools import protoc

        os.makedirs(STUBS, exist_ok=True)
        includes = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
        args = ["protoc", f"-I{PROTO}", f"-I{includes}", f"--python_out={STUBS}", f"--grpc_python_out={STUBS}", source]
        if protoc.main(args) != 0:
            sys.exit("could not generate the stubs from proto/")
    sys.path.insert(0, STUBS)
    from factcheck.v1 import fact_check_pb2, fact_check_pb2_grpc

    return fact_check_pb2, fact_check_pb2_grpc


def channel(args):
    if not args.tls_ca:
        return grpc.insecure_channel(args.addr)
    read = lambda path: open(path, "rb").read() if path else None
    creds = grpc.ssl_channel_credentials(read(args.tls_ca), read(args.tls_key), read(args.tls_cert))
    return grpc.secure_channel(args.addr, creds)


def print_citations(pb, client, citations, articles):
    for c in citations:
        if c.article_id not in articles:
            articles[c.article_id] = client.GetArticle(pb.GetArticleRequest(id=c.article_id)).text.encode()
        # Offsets count bytes of the UTF-8 text: cut the bytes, then decode.
        sentence = articles[c.article_id][c.start : c.end].decode()
        stance = pb.Stance.Name(c.stance).removeprefix("STANCE_")
        who = f" ({c.attribution})" if c.attribution else ""
        print(f"  {stance:8} {c.article_id} [{c.start}:{c.end}]{who}: {sentence}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--addr", default=os.environ.get("FACTCHECK_ADDR", "127.0.0.1:50051"))
    ap.add_argument("--text", action="store_true", help="the argument is a paragraph: split it into claims (CheckText)")
    ap.add_argument("--max-citations", type=int, default=3)
    ap.add_argument("--tls-ca", default=os.environ.get("FACTCHECK_TLS_CA"))
    ap.add_argument("--tls-cert", default=os.environ.get("FACTCHECK_CLIENT_CERT"))
    ap.add_argument("--tls-key", default=os.environ.get("FACTCHECK_CLIENT_KEY"))
    ap.add_argument("input", help="a claim (or a paragraph with --text)")
    args = ap.parse_args()
    pb, rpc = stubs()
    client = rpc.FactCheckServiceStub(channel(args))
    articles = {}
    try:
        if args.text:
            r = client.CheckText(pb.CheckTextRequest(text=args.input, max_citations=args.max_citations), timeout=30)
            for claim in r.claims:
                verdict = pb.Verdict.Name(claim.verdict).removeprefix("VERDICT_")
                print(f"{verdict} {claim.confidence:.2f} {claim.text!r}")
                print_citations(pb, client, claim.citations, articles)
            s = r.summary
            print(f"{s.supported} supported, {s.contradicted} contradicted, {s.unknown} unknown, {s.skipped} skipped")
        else:
            r = client.VerifyClaim(pb.VerifyClaimRequest(claim=args.input, max_citations=args.max_citations), timeout=30)
            print(f"{pb.Verdict.Name(r.verdict).removeprefix('VERDICT_')} {r.confidence:.2f} {r.reason}")
            print_citations(pb, client, r.citations, articles)
    except grpc.RpcError as e:
        sys.exit(f"{e.code().name}: {e.details()}")


if __name__ == "__main__":
    main()
