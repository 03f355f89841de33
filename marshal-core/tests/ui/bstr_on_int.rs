use marshal_core::marshal::Marshal;

#[derive(Marshal)]
struct S {
    #[marshal(as = bstr)]
    a: i32,
}

fn main() {}
