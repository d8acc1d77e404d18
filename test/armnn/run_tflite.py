"""Run a .tflite model in Arm NN (its own TfLite parser + the CpuRef reference backend).

usage: run_tflite.py MODEL.tflite INPUTS.npy OUTPUTS.npy

INPUTS.npy holds samples stacked along a leading dimension, already in the model input's dtype
and shape (without the batch of 1). OUTPUTS.npy receives the first output of every sample, in the
output's own dtype, stacked the same way. One line on stderr and exit code 2 when pyarmnn is
missing (the Node test skips then); any other failure is exit code 1 with the reason.
"""
import sys

try:
    import numpy as np
    import pyarmnn as ann
except ImportError as e:  # pragma: no cover - depends on the machine
    sys.stderr.write(f"pyarmnn not available: {e}\n")
    sys.exit(2)


def main() -> int:
    model, inputs_path, outputs_path = sys.argv[1:4]
    parser = ann.ITfLiteParser()
    network = parser.CreateNetworkFromBinaryFile(model)
    graph_id = 0
    input_names = parser.GetSubgraphInputTensorNames(graph_id)
    output_names = parser.GetSubgraphOutputTensorNames(graph_id)
    if len(input_names) != 1:
        sys.stderr.write(f"expected one input, got {len(input_names)}\n")
        return 1
    in_binding = parser.GetNetworkInputBindingInfo(graph_id, input_names[0])
    out_binding = parser.GetNetworkOutputBindingInfo(graph_id, output_names[0])

    runtime = ann.IRuntime(ann.CreationOptions())
    opt_network, messages = ann.Optimize(network, [ann.BackendId("CpuRef")], runtime.GetDeviceSpec(), ann.OptimizerOptions())
    net_id, _ = runtime.LoadNetwork(opt_network)

    samples = np.load(inputs_path)
    in_shape = tuple(in_binding[1].GetShape())
    results = []
    for x in samples:
        tensors = ann.make_input_tensors([in_binding], [np.ascontiguousarray(x.reshape(in_shape))])
        out_tensors = ann.make_output_tensors([out_binding])
        runtime.EnqueueWorkload(net_id, tensors, out_tensors)
        results.append(ann.workload_tensors_to_ndarray(out_tensors)[0].reshape(tuple(out_binding[1].GetShape())[1:]))
    np.save(outputs_path, np.stack(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
