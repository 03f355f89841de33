use marshal_core::marshal::Marshal;

#[derive(Marshal)]
struct S {
    #[marshal(as = char)]
    c: u32,
}

fn main() {}
