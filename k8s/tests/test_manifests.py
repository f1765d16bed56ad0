"""Checks the rendered manifests (k8s/overlays/*) for the settings a
regression must not lose: gRPC probes, security context, resources, graceful
termination, selectors, network policy, and agreement with the Dockerfile
and the server's real flags and environment variables.

Run by .ci/k8s with RENDERED (folder of <overlay>.yaml) and SERVER_BIN set.
"""
import os
import pathlib
import re
import subprocess
import tempfile
import tomllib
import unittest

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
RENDERED = pathlib.Path(os.environ["RENDERED"])
SERVER_BIN = os.environ["SERVER_BIN"]
OVERLAYS = ["dev", "prod"]


def load(name):
    return [d for d in yaml.safe_load_all((RENDERED / f"{name}.yaml").read_text()) if d]


def one(docs, kind, name=None):
    found = [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def seconds(duration):
    m = re.fullmatch(r"(\d+)s", duration)
    assert m, duration
    return int(m.group(1))


def dockerfile():
    text = (ROOT / "Dockerfile").read_text()
    env = dict(re.findall(r"(FACTCHECK_[A-Z_]+)=(\S+)", text))
    exposed = {int(p) for line in re.findall(r"^EXPOSE (.+)$", text, re.M) for p in line.split()}
    copied = re.findall(r"^COPY .* (/\S+)$", text, re.M)
    return env, exposed, copied


class Manifests(unittest.TestCase):
    def each(self):
        for overlay in OVERLAYS:
            docs = load(overlay)
            deploy = one(docs, "Deployment", "factcheck")
            pod = deploy["spec"]["template"]["spec"]
            container = pod["containers"][0]
            config = tomllib.loads(one(docs, "ConfigMap")["data"]["config.toml"])
            env = {e["name"]: e.get("value") for e in container.get("env", [])}
            yield overlay, docs, deploy, pod, container, config, env

    def test_grpc_probes_target_the_health_service(self):
        for overlay, _, _, _, c, config, env in self.each():
            with self.subTest(overlay):
                ports = {p["name"]: p["containerPort"] for p in c["ports"]}
                probe_port = ports["health"] if "FACTCHECK_TLS_CERT" in env else ports["grpc"]
                self.assertEqual(int(config["listen"].rsplit(":", 1)[1]), ports["grpc"])
                self.assertTrue(config["listen"].startswith("0.0.0.0:"), "listen on the pod IP")
                for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                    self.assertIn("grpc", c[probe], probe)
                    self.assertEqual(c[probe]["grpc"]["port"], probe_port, probe)
                self.assertEqual(c["readinessProbe"]["grpc"]["service"], "factcheck.v1.FactCheckService")
                # A replica still ingesting is alive, not ready: it must not be restarted.
                for probe in ("startupProbe", "livenessProbe"):
                    self.assertEqual(c[probe]["grpc"]["service"], "factcheck.v1.FactCheckService/live", probe)
                startup = c["startupProbe"]
                self.assertGreaterEqual(startup["periodSeconds"] * startup["failureThreshold"], 60)
                if "FACTCHECK_TLS_CERT" in env:
                    self.assertEqual(env["FACTCHECK_HEALTH_LISTEN"], f"0.0.0.0:{ports['health']}")

    def test_security_context(self):
        for overlay, docs, _, pod, c, _, _ in self.each():
            with self.subTest(overlay):
                self.assertTrue(pod["securityContext"]["runAsNonRoot"])
                self.assertEqual(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault")
                self.assertFalse(pod["automountServiceAccountToken"])
                self.assertFalse(one(docs, "ServiceAccount")["automountServiceAccountToken"])
                sc = c["securityContext"]
                self.assertFalse(sc["allowPrivilegeEscalation"])
                self.assertTrue(sc["readOnlyRootFilesystem"])
                self.assertEqual(sc["capabilities"]["drop"], ["ALL"])

    def test_resources_and_writable_store(self):
        units = {"Mi": 2**20, "Gi": 2**30}
        mem = lambda v: int(v[:-2]) * units[v[-2:]]
        cpu = lambda v: int(v[:-1]) / 1000 if v.endswith("m") else float(v)
        for overlay, _, _, pod, c, config, _ in self.each():
            with self.subTest(overlay):
                req, lim = c["resources"]["requests"], c["resources"]["limits"]
                self.assertLessEqual(mem(req["memory"]), mem(lim["memory"]))
                self.assertLessEqual(cpu(req["cpu"]), cpu(lim["cpu"]))
                self.assertGreaterEqual(mem(lim["memory"]), 640 * 2**20, "room above the measured 483 MiB with models")
                mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
                data = mounts[config["data_dir"]]
                volume = next(v for v in pod["volumes"] if v["name"] == data)
                self.assertIn("emptyDir", volume, "the store is disposable and writable")

    def test_termination_outlasts_the_drain(self):
        for overlay, _, deploy, pod, c, config, _ in self.each():
            with self.subTest(overlay):
                sleep = c["lifecycle"]["preStop"]["sleep"]["seconds"]
                self.assertGreater(pod["terminationGracePeriodSeconds"], sleep + seconds(config["shutdown_grace"]))
                self.assertEqual(deploy["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"], 0)
                self.assertTrue(pod["topologySpreadConstraints"])

    def test_selectors_services_and_policies(self):
        for overlay, docs, deploy, _, c, _, _ in self.each():
            with self.subTest(overlay):
                labels = deploy["spec"]["template"]["metadata"]["labels"]
                selector = deploy["spec"]["selector"]["matchLabels"]
                self.assertLessEqual(selector.items(), labels.items())
                grpc, headless = one(docs, "Service", "factcheck"), one(docs, "Service", "factcheck-headless")
                for svc in (grpc, headless):
                    self.assertLessEqual(svc["spec"]["selector"].items(), labels.items())
                    port = next(p for p in svc["spec"]["ports"] if p["name"] == "grpc")
                    self.assertEqual(port["appProtocol"], "grpc")
                self.assertEqual(headless["spec"]["clusterIP"], "None")
                pdb, hpa = one(docs, "PodDisruptionBudget"), one(docs, "HorizontalPodAutoscaler")
                self.assertLessEqual(pdb["spec"]["selector"]["matchLabels"].items(), labels.items())
                self.assertEqual(hpa["spec"]["scaleTargetRef"]["name"], "factcheck")
                netpol = one(docs, "NetworkPolicy")
                self.assertLessEqual(netpol["spec"]["podSelector"]["matchLabels"].items(), labels.items())
                rules = {r["ports"][0]["port"]: r["from"][0] for r in netpol["spec"]["ingress"]}
                self.assertEqual(rules["grpc"]["podSelector"]["matchLabels"], {"factcheck.io/client": "true"})
                self.assertEqual(rules["metrics"]["namespaceSelector"]["matchLabels"], {"kubernetes.io/metadata.name": "monitoring"})

    def test_image_manifests_and_server_agree(self):
        env, exposed, copied = dockerfile()
        help_text = subprocess.run([SERVER_BIN, "--help"], capture_output=True, text=True, check=True).stdout
        for overlay, _, _, _, c, config, pod_env in self.each():
            with self.subTest(overlay):
                ports = {p["name"]: p["containerPort"] for p in c["ports"]}
                self.assertLessEqual({ports["grpc"], ports["metrics"]}, exposed)
                self.assertEqual(env["FACTCHECK_DATA_DIR"], config["data_dir"])
                self.assertEqual(env["FACTCHECK_CORPUS"], config["corpus"])
                self.assertIn(config["corpus"], copied)
                self.assertEqual(env["FACTCHECK_MODELS"], config["models"])
                self.assertIn(config["models"], copied)
                self.assertEqual(int(config["metrics_listen"].rsplit(":", 1)[1]), ports["metrics"])
                for name in pod_env:
                    if name.startswith("FACTCHECK_"):
                        self.assertIn(name, help_text, f"{name} is not a server setting")
                # The ConfigMap is a valid server configuration.
                with tempfile.NamedTemporaryFile("w", suffix=".toml") as f:
                    f.write(one(load(overlay), "ConfigMap")["data"]["config.toml"])
                    f.flush()
                    subprocess.run([SERVER_BIN, "--config", f.name, "--check-config"], check=True, capture_output=True)

    def test_prod_takes_its_secrets_from_secrets_and_hides_its_schema(self):
        for overlay, _, _, pod, c, _, env in self.each():
            if overlay != "prod":
                continue
            token = next(e for e in c["env"] if e["name"] == "FACTCHECK_ADMIN_TOKEN")
            self.assertNotIn("value", token, "the admin token is never written into a manifest")
            self.assertEqual(token["valueFrom"]["secretKeyRef"], {"name": "factcheck-admin", "key": "token"})
            self.assertEqual(env["FACTCHECK_REFLECTION"], "false")
            nats = next(v for v in pod["volumes"] if v["name"] == "nats")
            self.assertEqual(nats["secret"]["secretName"], "factcheck-nats")
            self.assertTrue(env["FACTCHECK_INGEST_STREAM_CREDENTIALS"].startswith("/etc/factcheck-nats/"))
            data = next(v for v in pod["volumes"] if v["name"] == "data")
            self.assertEqual(data["emptyDir"]["sizeLimit"], "8Gi")

    def test_smoke_job_calls_the_service(self):
        docs = load("smoke")
        job = one(docs, "Job", "factcheck-smoke")
        pod = job["spec"]["template"]
        self.assertEqual(pod["metadata"]["labels"]["factcheck.io/client"], "true")
        _, _, copied = dockerfile()
        for c in pod["spec"]["initContainers"] + pod["spec"]["containers"]:
            self.assertIn(c["command"][0], copied)
            self.assertEqual(c["command"][1:3], ["--addr", "factcheck:50051"])
            self.assertFalse(c["securityContext"]["allowPrivilegeEscalation"])
        self.assertIn("--expect", pod["spec"]["containers"][0]["command"])


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=1).result
    failed = len(result.failures) + len(result.errors)
    print(f"k8s manifests: {result.testsRun - failed} passed, {failed} failed")
    raise SystemExit(1 if failed else 0)
