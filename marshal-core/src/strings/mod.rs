//! String conversions between managed strings (UTF-16, possibly ill-formed, like .NET's
//! `System.String`) and every native string form the CLR marshals.

pub mod transcode;
