//! The recogniser's last layer, `softmax(x · W + b)` over its 18,385 symbols (ONNX `MatMul` by
//! a constant `K × C` matrix, `Add` of a constant per symbol, `Softmax` over the last axis), on
//! the pointwise kernel ([`super::pointwise`]) with the roles turned round: the rows of `x`
//! (one per time step of every strip of the batch) are its "weights" and `W`'s columns its
//! "pixels", so that its output comes out row by row as the model's does, and `W` (8.8 MB) is
//! read once per batch. In WebAssembly rten computed this step (the product, the bias and the
//! softmax) in 16% of the recogniser's time on a dev screen.

use rten_simd::SimdOp;

use super::pointwise::PointwiseConv;

#[derive(Clone, Debug)]
pub struct Head {
    /// Input features per row (`K`) and outputs per row (`C`).
    pub inputs: usize,
    pub outputs: usize,
    /// `K × C` (ONNX `MatMul`'s second operand) laid out in blocks of columns
    /// ([`PointwiseConv::blocks`]).
    weights: Vec<f32>,
    bias: Vec<f32>,
}

impl Head {
    pub fn new(inputs: usize, outputs: usize, weights: Vec<f32>, bias: Vec<f32>) -> Option<Head> {
        (inputs > 0 && outputs > 0 && weights.len() == inputs * outputs && bias.len() == outputs)
            .then(|| Head {
                inputs,
                outputs,
                weights: PointwiseConv::blocks(&weights, inputs, outputs),
                bias,
            })
    }

    /// `rows × C` probabilities for `x` (`rows × K`, row-major), into `out`'s memory.
    pub fn run_into(&self, x: &[f32], rows: usize, out: &mut Vec<f32>) -> Result<(), String> {
        if x.len() != rows * self.inputs || rows == 0 {
            return Err(format!(
                "output layer: {} values given for {rows} × {}",
                x.len(),
                self.inputs
            ));
        }
        let product = PointwiseConv::new(rows, self.inputs, x, None)
            .ok_or("output layer: the rows do not fit")?;
        product.run_blocked(&self.weights, self.outputs, out)?;
        for row in out.chunks_exact_mut(self.outputs) {
            for (v, b) in row.iter_mut().zip(&self.bias) {
                *v += b;
            }
            rten_vecmath::Softmax::new_mut(row).dispatch();
        }
        Ok(())
    }
}
