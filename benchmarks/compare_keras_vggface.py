"""faceapp's ONNX graph against keras-vggface's *own* model code, on the same generated weights.

keras-vggface 0.6 imports Keras 2 (``keras.engine``, ``keras_applications``), so it cannot run on
Keras 3.  This script runs an unmodified copy of its ``models.py`` that you provide on ``tf_keras``
(Keras 2 for current TensorFlow), with only its imports redirected, loads faceapp's generated
weights by layer name and compares outputs on real face photos.  Nothing of keras-vggface is
shipped or copied: you point at your own checkout.

    pip install --target /tmp/tfk --no-deps "tf-keras==<your TensorFlow's x.y>.*"
    git clone https://github.com/rcmalli/keras-vggface /tmp/keras-vggface
    python -m benchmarks.compare_keras_vggface --tf-keras /tmp/tfk \\
        --models-py /tmp/keras-vggface/keras_vggface/models.py senet50
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

import numpy as np


def _keras_vggface(models_py: Path) -> dict:
    source = models_py.read_text(encoding="utf-8")
    redirects = {  # keras-vggface's Keras 2 imports → tf_keras (weights are loaded by this script)
        "from keras_applications.imagenet_utils import _obtain_input_shape":
            "_obtain_input_shape = lambda *args, **kwargs: (224, 224, 3)",
        "from keras.utils.data_utils import get_file": "get_file = None",
        "from keras.utils.layer_utils import get_source_inputs": "from tf_keras.utils import get_source_inputs",
        "from keras.utils import layer_utils": "",
        "from keras_vggface import utils": "utils = None",
    }
    for old, new in redirects.items():
        source = source.replace(old, new)
    namespace: dict = {}
    exec(compile(re.sub(r"\bfrom keras\b", "from tf_keras", source), str(models_py), "exec"), namespace)  # noqa: S102
    return namespace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=["resnet50", "senet50", "vgg16"])
    parser.add_argument("--tf-keras", required=True, help="folder holding the tf_keras package")
    parser.add_argument("--models-py", required=True, type=Path, help="keras-vggface's keras_vggface/models.py")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    sys.path.insert(0, args.tf_keras)

    import onnxruntime
    import tf_keras
    from PIL import Image

    from faceapp.core.vggface.catalog import get_spec
    from faceapp.core.vggface.graph_cache import build_graph_bytes
    from faceapp.core.vggface.preprocess import preprocess_input
    from faceapp.core.vggface.synthetic import random_arrays, write_synthetic_weights
    from tests.testdata import photo_path

    builders = _keras_vggface(args.models_py)
    model = builders[{"senet50": "SENET50", "resnet50": "RESNET50", "vgg16": "VGG16"}[args.model]](
        include_top=True, weights=None)
    arrays = random_arrays(args.model, True, seed=args.seed)
    path = write_synthetic_weights(Path(tempfile.mkdtemp()) / "w.h5", args.model, arrays=arrays)
    model.load_weights(str(path), by_name=True)
    loaded = sum(1 for layer in model.layers if layer.weights
                 and all(np.array_equal(w.numpy(), arrays[layer.name][w.name.split("/")[-1].split(":")[0]])
                         for w in layer.weights))
    crops = np.stack([np.asarray(Image.open(photo_path(n)).convert("RGB").resize((224, 224)), np.float32)
                      for n in ("obama.jpg", "biden.jpg", "obama2.jpg", "two_people.jpg")])
    batch = preprocess_input(crops, get_spec(args.model).preprocess_version)
    reference = np.asarray(model(batch, training=False))
    # The layer the classifier reads: fc7's ReLU in VGG16, the flatten in the ResNets.
    descriptor_layer = model.get_layer("fc7/relu") if args.model == "vgg16" else model.layers[-2]
    reference_descriptor = np.asarray(tf_keras.Model(model.input, descriptor_layer.output)(batch, training=False))
    session = onnxruntime.InferenceSession(build_graph_bytes(path, args.model, True).read(),
                                           providers=["CPUExecutionProvider"])
    descriptor, probabilities = session.run(None, {"input": batch})
    reference_descriptor = reference_descriptor.reshape(descriptor.shape)
    cosine = np.sum(descriptor * reference_descriptor, 1) / (
        np.linalg.norm(descriptor, axis=1) * np.linalg.norm(reference_descriptor, axis=1))
    print(json.dumps({
        "model": args.model, "tf_keras": tf_keras.__version__, "layers_loaded": loaded,
        "layers_with_weights": sum(1 for g in arrays.values() if g),
        "bn_epsilons": sorted({float(l.epsilon) for l in model.layers if "BatchNormalization" in type(l).__name__}),
        "min_descriptor_cosine": float(cosine.min()),
        "max_probability_difference": float(np.max(np.abs(probabilities - reference))),
        "same_top5": all(list(np.argsort(-a)[:5]) == list(np.argsort(-b)[:5])
                         for a, b in zip(probabilities, reference)),
    }, indent=1))


if __name__ == "__main__":
    main()
