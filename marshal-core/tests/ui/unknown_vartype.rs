use marshal_core::marshal::Marshal;

#[derive(Marshal)]
struct S {
    #[marshal(as = safearray(FROB))]
    a: Vec<i32>,
}

fn main() {}
