//! What the code `net!` generates calls at run time: workspaces and their
//! buffers, the values and gradients traits, the loops over steps, the
//! recycling of large buffers, matrices' storage, and the threads of large
//! products.

pub mod grads;
pub(crate) mod loops;
#[cfg(feature = "parallel")]
pub mod parallel;
pub(crate) mod recycle;
pub mod steps;
pub mod storage;
pub mod values;
pub mod workspace;
