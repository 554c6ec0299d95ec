//! The state of each optimizer as named numbers and buffers, for
//! [`crate::io::save_optimizer`] and [`crate::io::load_optimizer`].

use super::{Adam, Momentum, RmsProp, Sgd};
use crate::Scalar;

/// An optimizer's state: its hyperparameters and counters by name, and its
/// buffers (one per param, empty before the first step) by kind. A run
/// resumed from a saved state continues bit for bit.
pub trait OptimizerState<T: Scalar> {
    /// The optimizer's name, recorded with its state.
    fn name(&self) -> &'static str;
    /// Its numbers by name: hyperparameters and counters.
    fn numbers(&self) -> Vec<(&'static str, f64)>;
    /// Sets the number `name`; false when it has none of that name.
    fn set_number(&mut self, name: &str, value: f64) -> bool;
    /// Its buffers by kind, each a `Vec` per param.
    fn buffers(&self) -> Vec<(&'static str, &Vec<Vec<T>>)>;
    /// Its buffers by kind, mutably.
    fn buffers_mut(&mut self) -> Vec<(&'static str, &mut Vec<Vec<T>>)>;
}

/// Implements the numbers of an optimizer from its public `T` fields (and
/// extra counters), and its buffers from its `State` fields.
macro_rules! state {
    ($opt:ident, [$($field:ident),*], [$($flag:ident),*], [$($count:ident),*], [$($buf:ident),*]) => {
        impl<T: Scalar> OptimizerState<T> for $opt<T> {
            fn name(&self) -> &'static str {
                stringify!($opt)
            }
            fn numbers(&self) -> Vec<(&'static str, f64)> {
                vec![
                    $((stringify!($field), self.$field.to_f64()),)*
                    $((stringify!($flag), f64::from(u8::from(self.$flag))),)*
                    $((stringify!($count), f64::from(self.$count)),)*
                ]
            }
            fn set_number(&mut self, name: &str, value: f64) -> bool {
                match name {
                    $(stringify!($field) => self.$field = T::from_f64(value),)*
                    $(stringify!($flag) => self.$flag = value != 0.0,)*
                    $(stringify!($count) => self.$count = value as i32,)*
                    _ => return false,
                }
                true
            }
            fn buffers(&self) -> Vec<(&'static str, &Vec<Vec<T>>)> {
                vec![$((stringify!($buf), &self.$buf.buffers),)*]
            }
            fn buffers_mut(&mut self) -> Vec<(&'static str, &mut Vec<Vec<T>>)> {
                vec![$((stringify!($buf), &mut self.$buf.buffers),)*]
            }
        }
    };
}

state!(Sgd, [lr, weight_decay], [], [], []);
state!(Momentum, [lr, momentum, weight_decay], [nesterov], [], [velocity]);
state!(RmsProp, [lr, alpha, eps, weight_decay], [], [], [square_avg]);
state!(Adam, [lr, beta1, beta2, eps, weight_decay], [], [t], [m, v]);
