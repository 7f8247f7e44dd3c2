import pytest

from fixture_models.echo_model import EchoModel
from fixture_models.incomplete_models import (
    BadNameModel,
    MissingVersionModel,
    NoPredictModel,
    NotASchemaModel,
)
from model_service import MLModel
from model_service.core.errors import ModelContractError


def test_a_complete_model_passes_the_contract_check():
    EchoModel.check_contract()


def test_missing_attribute_is_named_with_the_class():
    with pytest.raises(ModelContractError, match=r"MissingVersionModel: missing attribute 'version'"):
        MissingVersionModel.check_contract()


def test_qualified_name_that_is_not_url_safe_is_rejected():
    with pytest.raises(ModelContractError, match=r"BadNameModel: qualified name 'Bad Name!' is not URL-safe"):
        BadNameModel.check_contract()


def test_a_url_safe_override_name_fixes_a_bad_class_name():
    BadNameModel.check_contract("good_name")


def test_schema_that_is_not_marshmallow_is_rejected():
    with pytest.raises(ModelContractError, match="'input_schema' must be a marshmallow Schema class or a pydantic BaseModel class"):
        NotASchemaModel.check_contract()


def test_missing_predict_is_named():
    with pytest.raises(ModelContractError, match="missing method.*predict"):
        NoPredictModel.check_contract()


def test_mlmodel_itself_cannot_be_instantiated():
    with pytest.raises(TypeError):
        MLModel()


def test_predict_batch_defaults_to_predict_per_item():
    class Plain(EchoModel):
        predict_batch = MLModel.predict_batch

    model = Plain(factor=3)
    assert model.predict_batch([{"value": 1, "label": "a"}, {"value": 2, "label": "b"}]) == [
        {"doubled": 3, "label": "a"},
        {"doubled": 6, "label": "b"},
    ]
    assert not Plain.overrides_predict_batch()
    assert EchoModel.overrides_predict_batch()
