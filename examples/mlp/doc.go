// Command mlp trains a small MLP classifier on a generated data set (three
// interleaved spirals, 2-D points) with loom: the model is written for one
// example, the batch is a loop, gradients come from autodiff.Grad and Adam
// updates the weights. It reports the loss per epoch and the accuracy on
// held-out points.
//
//	go run ./examples/mlp            # 3 × 1000 training points, 60 epochs
//	go run ./examples/mlp -epochs 5  # a quick look
package main
