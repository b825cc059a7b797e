"""An official-shaped checkpoint (1000 classes, official msgpack, no names in the file) is served
with the ImageNet-1k class names: `models.list`, names (any synonym, any case) and ids all work,
and a typo gets the nearest name. Fixture: Tests/EngineTests/Fixtures/imagenet-shaped (the tiny
networks widened to 1000 classes; `make_fixtures.py --imagenet-shaped`)."""
import pytest

from conftest import REPO
from maskgit_rpc import Client, InvalidParams

IMAGENET_SHAPED = REPO / "Tests" / "EngineTests" / "Fixtures" / "imagenet-shaped"


@pytest.fixture
def imagenet(binary):
    with Client(binary, model_dir=IMAGENET_SHAPED, args=["--quiet"]) as c:
        yield c


def test_models_list_names_the_1000_imagenet_classes(imagenet):
    model = imagenet.models()[0]
    assert model["numClasses"] == 1000 and len(model["classes"]) == 1000
    assert model["classes"][0] == "tench, Tinca tinca"
    assert model["classes"][281] == "tabby, tabby cat"
    assert model["classes"][207] == "golden retriever"


def test_names_synonyms_and_ids_pick_the_same_class(imagenet):
    # With a fixed seed the generated image is a function of the class: a name, a synonym in
    # another case and the label number give the same pixels; another class does not.
    def pixels(class_):
        return imagenet.generate(class_, seed=7, steps=4).image_bytes
    tabby = pixels(281)
    assert pixels("tabby cat") == tabby
    assert pixels("Tabby") == tabby
    assert pixels("tabby, tabby cat") == tabby
    assert pixels("golden retriever") == pixels(207) != tabby


def test_a_typo_gets_the_nearest_name_and_an_ambiguous_name_its_labels(imagenet):
    with pytest.raises(InvalidParams) as caught:
        imagenet.generate("taby cat", seed=1)
    assert caught.value.field == "class"
    assert 'did you mean 281 "tabby, tabby cat"?' in caught.value.message
    assert "models.list names all 1000 classes" in caught.value.message
    with pytest.raises(InvalidParams) as caught:
        imagenet.generate("crane", seed=1)
    assert '134 "crane", 517 "crane"' in caught.value.message


def test_the_default_model_lists_its_classes_in_the_error(binary):
    with Client(binary, args=["--quiet"]) as client:
        with pytest.raises(InvalidParams) as caught:
            client.generate("goldfish", seed=1)
        assert 'the classes are 0 "Smileys & Emotion", 1 "People & Body"' in caught.value.message
        with pytest.raises(InvalidParams) as caught:
            client.generate("animals and nature", seed=1)
        assert 'did you mean 2 "Animals & Nature"?' in caught.value.message
