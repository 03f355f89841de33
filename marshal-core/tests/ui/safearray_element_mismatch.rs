use marshal_core::marshal::Marshal;

// A Vec of a type that is no SAFEARRAY element type does not compile.
#[derive(Marshal)]
struct S {
    #[marshal(as = safearray(I4))]
    a: Vec<std::time::Duration>,
}

fn main() {}
