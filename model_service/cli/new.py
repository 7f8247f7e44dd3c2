"""``model-service new NAME``: a model package that installs and serves at once.

Without options the package trains a scikit-learn pipeline on the wine data that scikit-learn
ships (13 features, some named like ``od280/od315_of_diluted_wines``: not identifiers, still
JSON keys). ``--from-joblib FILE`` wraps a fitted estimator or pipeline instead: the artifact is
copied in, the features come from ``feature_names_in_`` or ``--features``, the output from
``classes_`` (label and probabilities) or is a regression value.
"""
from __future__ import annotations

import keyword
import re
import shutil
from importlib.resources import files
from pathlib import Path
from string import Template
from typing import Any

import click

from ..contract import QUALIFIED_NAME_PATTERN
from .group import main

WINE_TRAINING = '''\
    from sklearn.datasets import load_wine
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    data = load_wine()
    labels = data.target_names[data.target]
    x_train, x_test, y_train, y_test = train_test_split(
        data.data, labels, test_size=0.25, random_state=0, stratify=labels)
    estimator = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    estimator.fit(x_train, y_train)
    print(f"held-out accuracy: {estimator.score(x_test, y_test):.3f}")
    examples = [dict(zip(data.feature_names, map(float, x_test[index]))) for index in (0, 1)]
    save(estimator, data.feature_names, examples)'''

OWN_TRAINING = '''\
    # Fit your estimator here, then save it with its feature names and a few valid examples:
    #     save(estimator, FEATURES, [{"feature": 1.0, ...}])
    raise SystemExit("Write the training of this model in train.py (see save() above).")'''


def _template(name: str) -> Template:
    return Template((files(__package__) / "scaffold" / name).read_text(encoding="utf-8"))


def _words(name: str) -> str:
    return " ".join(part.capitalize() for part in re.split(r"[_\-]+", name) if part)


def _class_name(name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[_\-]+", name) if part) + "Model"


def _estimator_facts(estimator: Any, features: list[str] | None) -> tuple[list[str], bool]:
    """Return the estimator's feature names and whether it was fitted on a DataFrame."""
    named = getattr(estimator, "feature_names_in_", None)
    if named is not None:
        names = [str(name) for name in named]
        if features and features != names:
            raise click.ClickException("--features does not match the estimator's "
                                       f"feature_names_in_: {', '.join(names)}.")
        return names, True
    if features:
        count = getattr(estimator, "n_features_in_", len(features))
        if count != len(features):
            raise click.ClickException(f"--features names {len(features)} features; the "
                                       f"estimator takes {count}.")
        return features, False
    count = getattr(estimator, "n_features_in_", None)
    if count is None:
        raise click.ClickException("The estimator does not say its features: pass --features.")
    return [f"x{index}" for index in range(count)], False


def _examples(estimator: Any, features: list[str]) -> list[dict]:
    """One valid input: the training means when a scaler kept them, else zeros."""
    steps = getattr(estimator, "steps", None) or [(None, estimator)]
    for _, step in steps:
        means = getattr(step, "mean_", None)
        if means is not None and len(means) == len(features):
            return [dict(zip(features, map(float, means)))]
    return [dict.fromkeys(features, 0.0)]


@main.command()
@click.argument("name")
@click.option("--from-joblib", "artifact", type=click.Path(exists=True, dir_okay=False),
              help="Wrap this fitted scikit-learn estimator or pipeline (saved with joblib).")
@click.option("--features", help="Comma-separated feature names, for an estimator fitted "
                                 "without them.")
@click.option("--directory", "-d", type=click.Path(file_okay=False), default=".",
              show_default=True, help="Where to create the package folder.")
@click.option("--description", default=None, help="The model's one-line description.")
def new(name: str, artifact: str | None, features: str | None, directory: str,
        description: str | None) -> None:
    """Create the model package NAME: pyproject, model, training, test and README.

    It installs and serves at once: `pip install ./NAME`, then `model-service check NAME`.
    """
    if not QUALIFIED_NAME_PATTERN.match(name):
        raise click.BadParameter(f"must match {QUALIFIED_NAME_PATTERN.pattern}", param_hint="NAME")
    package = name.replace("-", "_")
    if keyword.iskeyword(package):
        raise click.BadParameter(f"'{package}' is a Python keyword", param_hint="NAME")
    folder = Path(directory) / name
    if folder.exists():
        raise click.ClickException(f"{folder} already exists; choose another name or folder.")
    feature_list = [part.strip() for part in features.split(",") if part.strip()] if features else None

    import joblib

    if artifact:
        estimator = joblib.load(artifact)
        kind = "classifier" if hasattr(estimator, "classes_") else "regressor"
        names, dataframe = _estimator_facts(estimator, feature_list)
        training = OWN_TRAINING
    else:
        estimator, kind, training, dataframe = None, "classifier", WINE_TRAINING, False
    values = {
        "name": name, "package": package, "folder": name, "dist_name": name.replace("_", "-"),
        "class_name": _class_name(name), "display_name": _words(name), "kind": kind,
        "description": (description or f"A scikit-learn {kind}.").replace('"', "'"),
        "train_body": training,
        "dependencies": ", ".join(f'"{dep}"' for dep in
                                  ["scikit-learn>=1.5", "joblib>=1.3"] + (["pandas>=2"] if dataframe else [])),
    }
    source = folder / package
    (source / "artifacts").mkdir(parents=True)
    (folder / "tests").mkdir()
    for template, target in (("pyproject.toml.tmpl", folder / "pyproject.toml"),
                             ("README.md.tmpl", folder / "README.md"),
                             ("init.py.tmpl", source / "__init__.py"),
                             ("model.py.tmpl", source / "model.py"),
                             ("train.py.tmpl", source / "train.py"),
                             ("test_model.py.tmpl", folder / "tests" / f"test_{package}.py")):
        target.write_text(_template(template).substitute(values), encoding="utf-8")

    train = _load_module(source / "train.py", f"{package}_train")
    if artifact:
        shutil.copyfile(artifact, source / "artifacts" / "model.joblib")  # the file as given
        train.save(estimator, names, _examples(estimator, names), dataframe=dataframe, dump=False)
    else:
        train.main()
    click.echo(f"Created {folder}: install it with `pip install ./{folder}`, then "
               f"`model-service check {name}`.")


def _load_module(path: Path, name: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
