"""What faceapp knows about each VGGFace model, in one table.

Also the one naming rule between the weight files and Keras 3: the files'
layer names contain ``/`` (``conv1/7x7_s2/bn``), which Keras 3 refuses in a
layer name, so every Keras layer is named ``file_name.replace("/", "__")`` and
the file name is recovered by the reverse replacement.  The rule is reversible
because no name in the files contains ``__`` (checked when a model is built).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ModelSpec",
    "MODELS",
    "get_spec",
    "RELEASE_URL",
    "keras_name",
    "file_name",
    "NAME_SEPARATOR",
    "INPUT_SIZE",
]

#: keras-vggface's release: the same files the library itself downloads.
RELEASE_URL = "https://github.com/rcmalli/keras-vggface/releases/download/v2.0/"

#: Side of the square RGB image every VGGFace model takes (and every face crop is).
INPUT_SIZE = 224

#: What ``/`` in a file's layer name becomes in a Keras 3 layer name.
NAME_SEPARATOR = "__"


def keras_name(name_in_file: str) -> str:
    """Keras 3 layer name for a layer name as written in the weight files."""
    if NAME_SEPARATOR in name_in_file:
        raise ValueError(f"layer name {name_in_file!r} already contains {NAME_SEPARATOR!r}")
    return name_in_file.replace("/", NAME_SEPARATOR)


def file_name(name_in_keras: str) -> str:
    """The weight files' layer name for a Keras 3 layer name (inverse of keras_name)."""
    return name_in_keras.replace(NAME_SEPARATOR, "/")


@dataclass(frozen=True)
class ModelSpec:
    """One model: its files, classes, preprocessing and descriptor."""

    name: str
    title: str
    dataset: str
    classes: int
    preprocess_version: int
    descriptor_dim: int
    notop_descriptor_dim: int
    weights_file: str
    notop_weights_file: str
    labels_file: str
    #: Parameters with and without the classifier, for sizes shown before a
    #: download (float32 → 4 bytes each; checked against the built models in tests).
    params_top: int
    params_notop: int

    def weights_filename(self, include_top: bool) -> str:
        return self.weights_file if include_top else self.notop_weights_file

    def approx_mb(self, include_top: bool) -> int:
        params = self.params_top if include_top else self.params_notop
        return round(params * 4 / 1_000_000)


MODELS: dict[str, ModelSpec] = {
    "resnet50": ModelSpec(
        name="resnet50",
        title="ResNet-50 (VGGFace2)",
        dataset="VGGFace2",
        classes=8631,
        preprocess_version=2,
        descriptor_dim=2048,
        notop_descriptor_dim=2048,
        weights_file="rcmalli_vggface_tf_resnet50.h5",
        notop_weights_file="rcmalli_vggface_tf_notop_resnet50.h5",
        labels_file="rcmalli_vggface_labels_v2.npy",
        params_top=41_246_071,
        params_notop=23_561_152,
    ),
    "senet50": ModelSpec(
        name="senet50",
        title="SE-ResNet-50 (VGGFace2)",
        dataset="VGGFace2",
        classes=8631,
        preprocess_version=2,
        descriptor_dim=2048,
        notop_descriptor_dim=2048,
        weights_file="rcmalli_vggface_tf_senet50.h5",
        notop_weights_file="rcmalli_vggface_tf_notop_senet50.h5",
        labels_file="rcmalli_vggface_labels_v2.npy",
        params_top=43_777_063,
        params_notop=26_092_144,
    ),
    "vgg16": ModelSpec(
        name="vgg16",
        title="VGG16 (VGGFace1)",
        dataset="VGGFace1",
        classes=2622,
        preprocess_version=1,
        descriptor_dim=4096,
        notop_descriptor_dim=512,
        weights_file="rcmalli_vggface_tf_vgg16.h5",
        notop_weights_file="rcmalli_vggface_tf_notop_vgg16.h5",
        labels_file="rcmalli_vggface_labels_v1.npy",
        params_top=145_002_878,
        params_notop=14_714_688,
    ),
}


def get_spec(name: str) -> ModelSpec:
    """The spec of model ``name``; ValueError quoting the name when unknown."""
    try:
        return MODELS[name]
    except KeyError:
        raise ValueError(
            f"unknown model {name!r}; choose one of {', '.join(MODELS)}"
        ) from None
