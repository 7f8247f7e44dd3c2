"""The container image recipe, the Kubernetes manifests and the KServe InferenceService, offline."""
from __future__ import annotations

import shlex
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from helpers import IRIS

from model_service.core.batching import BatchSettings
from model_service.core.registry import import_class
from model_service.core.specs import read_models_file

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
MANIFESTS = sorted(p for p in (DEPLOY / "kubernetes").glob("*.yaml")
                   if p.name != "kustomization.yaml")


def dockerfile_instructions() -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` pairs, continuation lines joined, comments dropped."""
    instructions, current = [], ""
    for line in (DEPLOY / "Dockerfile").read_text().splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        current += " " + stripped.removesuffix("\\").strip()
        if not stripped.endswith("\\"):
            keyword, _, arguments = current.strip().partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
            current = ""
    return instructions


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def test_the_image_runs_on_a_slim_python_base_in_two_stages():
    bases = [args for keyword, args in dockerfile_instructions() if keyword == "FROM"]
    assert len(bases) == 2
    assert all(base.startswith("python:${PYTHON_VERSION}-slim") for base in bases)
    assert any(k == "ARG" and a.startswith("PYTHON_VERSION=3.") for k, a in dockerfile_instructions())


def test_the_image_installs_the_wheel_not_the_checkout():
    runs = " ".join(args for keyword, args in dockerfile_instructions() if keyword == "RUN")
    assert "pip wheel . --no-deps" in runs and "pip install /wheels/*.whl" in runs
    assert "-e ." not in runs


def test_the_image_copies_only_files_that_exist_and_are_not_ignored():
    ignored = {line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    for keyword, args in dockerfile_instructions():
        if keyword == "COPY" and not args.startswith("--from"):
            *sources, _target = shlex.split(args)
            for source in sources:
                assert (REPO / source).exists(), source
                assert source not in ignored, source


def test_the_image_runs_as_a_non_root_user_and_exposes_a_healthcheck():
    stage = final_stage()
    users = [args for keyword, args in stage if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert [args for keyword, args in stage if keyword == "EXPOSE"] == ["8000"]
    healthchecks = [args for keyword, args in stage if keyword == "HEALTHCHECK"]
    assert len(healthchecks) == 1 and "/healthz" in healthchecks[0]
    entrypoint = [args for keyword, args in stage if keyword == "ENTRYPOINT"]
    assert entrypoint == ['["model-service"]']
    assert [args for keyword, args in stage if keyword == "CMD"] == ['["serve"]']
    env = " ".join(args for keyword, args in stage if keyword == "ENV")
    assert "HOST=0.0.0.0" in env and "PORT=8000" in env


def load(name: str) -> dict:
    return yaml.safe_load((DEPLOY / "kubernetes" / name).read_text())


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_each_manifest_validates_against_the_kubernetes_schemas(path):
    for document in yaml.safe_load_all(path.read_text()):
        kubernetes_validate.validate(document, kubernetes_validate.latest_version(), strict=True)


def test_the_kustomization_lists_every_manifest():
    assert sorted(load("kustomization.yaml")["resources"]) == sorted(p.name for p in MANIFESTS)
    kinds = {load(p.name)["kind"] for p in MANIFESTS}
    assert kinds == {"ConfigMap", "Deployment", "Service", "HorizontalPodAutoscaler",
                     "PodDisruptionBudget"}


def container() -> dict:
    return load("deployment.yaml")["spec"]["template"]["spec"]["containers"][0]


def env_of(spec: dict) -> dict:
    return {item["name"]: item.get("value") for item in spec["env"]}


def test_the_deployment_probes_healthz_and_readyz_on_its_http_port():
    spec = container()
    assert spec["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert spec["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert spec["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert {"name": "http", "containerPort": 8000, "protocol": "TCP"} in spec["ports"]
    assert env_of(spec)["PORT"] == "8000"


def test_the_deployment_runs_non_root_on_a_read_only_root_filesystem():
    pod = load("deployment.yaml")["spec"]["template"]["spec"]
    spec = container()
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001
    assert "USER 10001:10001" in [f"{k} {a}" for k, a in final_stage()]
    assert spec["securityContext"]["readOnlyRootFilesystem"] is True
    assert spec["securityContext"]["allowPrivilegeEscalation"] is False
    assert spec["securityContext"]["capabilities"]["drop"] == ["ALL"]
    # The only writable place, for the metrics files of the workers.
    mounts = {m["name"]: m["mountPath"] for m in spec["volumeMounts"]}
    assert mounts["tmp"] == "/tmp"
    assert any(v["name"] == "tmp" and "emptyDir" in v for v in pod["volumes"])


def test_the_deployment_sets_resources_and_leaves_time_to_drain():
    pod = load("deployment.yaml")["spec"]["template"]["spec"]
    resources = container()["resources"]
    assert set(resources["requests"]) == {"cpu", "memory"}
    assert set(resources["limits"]) == {"cpu", "memory"}
    env = env_of(container())
    assert pod["terminationGracePeriodSeconds"] > (int(env["MODEL_SERVICE_DRAIN_SECONDS"])
                                                   + int(env["GRACEFUL_TIMEOUT"]))


def test_the_deployment_reads_the_models_file_from_the_config_map(tmp_path):
    pod = load("deployment.yaml")["spec"]["template"]["spec"]
    config_path = Path(env_of(container())["MODEL_SERVICE_CONFIG"])
    mounts = {m["name"]: m["mountPath"] for m in container()["volumeMounts"]}
    volume = next(v for v in pod["volumes"] if v["name"] == "models")
    assert str(config_path.parent) == mounts["models"]
    config_map = load("configmap.yaml")
    assert volume["configMap"]["name"] == config_map["metadata"]["name"]
    models_file = tmp_path / config_path.name
    models_file.write_text(config_map["data"][config_path.name])
    for spec in read_models_file(models_file, BatchSettings()).specs:
        import_class(spec.class_path)


def test_service_autoscaler_and_budget_select_the_deployment():
    deployment = load("deployment.yaml")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert load("service.yaml")["spec"]["selector"].items() <= labels.items()
    assert load("service.yaml")["spec"]["ports"][0]["targetPort"] == "http"
    assert load("pdb.yaml")["spec"]["selector"]["matchLabels"].items() <= labels.items()
    target = load("hpa.yaml")["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    assert load("hpa.yaml")["spec"]["minReplicas"] > load("pdb.yaml")["spec"]["minAvailable"]


def test_the_validator_catches_a_misspelt_field():
    deployment = load("deployment.yaml")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["paht"] = "/"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, kubernetes_validate.latest_version(), strict=True)


# -- KServe -----------------------------------------------------------------------------------
# kubernetes-validate knows the core schemas, not KServe's CRD: the ConfigMap is validated whole,
# the InferenceService's predictor as the Pod spec it inlines once KServe's own fields are set
# aside, and the rest (apiVersion, kind, protocol, probes, models file) is checked here.
KSERVE = DEPLOY / "kserve" / "inferenceservice.yaml"
# ComponentExtensionSpec: the fields KServe adds beside the Pod spec in a predictor.
KSERVE_COMPONENT_FIELDS = {"minReplicas", "maxReplicas", "scaleTarget", "scaleMetric",
                           "containerConcurrency", "timeout", "canaryTrafficPercent", "logger",
                           "batcher", "labels", "annotations", "deploymentStrategy"}


def kserve_documents() -> dict:
    return {document["kind"]: document for document in yaml.safe_load_all(KSERVE.read_text())}


def kserve_container() -> dict:
    return kserve_documents()["InferenceService"]["spec"]["predictor"]["containers"][0]


def test_the_inference_service_is_a_kserve_v1beta1_custom_predictor_speaking_v2():
    service = kserve_documents()["InferenceService"]
    assert (service["apiVersion"], service["kind"]) == ("serving.kserve.io/v1beta1",
                                                        "InferenceService")
    predictor = service["spec"]["predictor"]
    assert list(service["spec"]) == ["predictor"] and len(predictor["containers"]) == 1
    spec = kserve_container()
    assert spec["name"] == "kserve-container"  # the name KServe gives a lone predictor container
    # A custom predictor's protocol is its PROTOCOL variable, "v1" or "v2", read by KServe.
    assert env_of(spec)["PROTOCOL"] == "v2"
    assert spec["image"] == container()["image"] and spec["args"] == container()["args"]


def test_the_predictor_inlines_a_valid_pod_spec():
    predictor = dict(kserve_documents()["InferenceService"]["spec"]["predictor"])
    assert set(predictor) & KSERVE_COMPONENT_FIELDS == {"minReplicas", "maxReplicas"}
    pod_spec = {key: value for key, value in predictor.items()
                if key not in KSERVE_COMPONENT_FIELDS}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "predictor"}, "spec": pod_spec}
    kubernetes_validate.validate(pod, kubernetes_validate.latest_version(), strict=True)
    kubernetes_validate.validate(kserve_documents()["ConfigMap"],
                                 kubernetes_validate.latest_version(), strict=True)


def test_the_predictor_listens_on_the_image_port_and_probes_the_v2_health_endpoints():
    spec = kserve_container()
    assert spec["ports"] == [{"containerPort": 8000, "protocol": "TCP"}]
    assert [args for keyword, args in final_stage() if keyword == "EXPOSE"] == ["8000"]
    # Knative sets PORT from the container port and refuses a container that sets it.
    assert "PORT" not in env_of(spec)
    assert spec["readinessProbe"]["httpGet"] == {"path": "/v2/health/ready", "port": 8000}
    assert spec["livenessProbe"]["httpGet"] == {"path": "/v2/health/live", "port": 8000}
    pod = kserve_documents()["InferenceService"]["spec"]["predictor"]
    env = env_of(spec)
    assert pod["terminationGracePeriodSeconds"] > (int(env["MODEL_SERVICE_DRAIN_SECONDS"])
                                                   + int(env["GRACEFUL_TIMEOUT"]))
    assert spec["securityContext"]["readOnlyRootFilesystem"] is True


def test_the_predictors_probes_answer_without_an_api_key(make_app):
    client = make_app([IRIS], API_KEYS="a-key").test_client()
    spec = kserve_container()
    for probe in ("readinessProbe", "livenessProbe"):
        assert client.get(spec[probe]["httpGet"]["path"]).status_code == 200
    assert client.get("/v2/models/iris_model").status_code == 401


def test_the_predictor_reads_the_models_file_from_its_config_map(tmp_path):
    documents = kserve_documents()
    predictor = documents["InferenceService"]["spec"]["predictor"]
    config_path = Path(env_of(kserve_container())["MODEL_SERVICE_CONFIG"])
    mounts = {m["name"]: m["mountPath"] for m in kserve_container()["volumeMounts"]}
    volume = next(v for v in predictor["volumes"] if v["name"] == "models")
    assert str(config_path.parent) == mounts["models"]
    assert volume["configMap"]["name"] == documents["ConfigMap"]["metadata"]["name"]
    models_file = tmp_path / config_path.name
    models_file.write_text(documents["ConfigMap"]["data"][config_path.name])
    specs = read_models_file(models_file, BatchSettings()).specs
    assert specs
    for spec in specs:
        import_class(spec.class_path)
